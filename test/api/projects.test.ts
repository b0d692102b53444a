import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { drivers } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor, type EditorConnection } from '../support/editor-client.js';
import type { ApiClient } from '../support/api-client.js';
import { newId } from '../../control-plane/src/ids.js';
import { storedMedia } from '../support/media-factory.js';

/** A JSON document of about `bytes` bytes in an unusual but valid formatting, mentioning `mediaIds`. */
function timelineText(bytes: number, mediaIds: string[], label = 'v1'): string {
  const clips: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const clip = `{ "id" : "clip-${i}",\n  "media": "${mediaIds[i % Math.max(1, mediaIds.length)] ?? 'none'}", "start" : ${i}.0, "gain": 1e0, "note": "é\\u00e9\\"\\\\ ${label}" }`;
    clips.push(clip);
    size += clip.length + 2;
  }
  return `{\n  "version" : 3,\n  "big" : 12345678901234567890,\n  "clips" : [\n${clips.join(',\n')}\n  ]\n}`;
}

describe.each(drivers)('projects (%s)', (driver) => {
  let server: TestServer;
  let editor: EditorConnection;
  let other: EditorConnection;
  let api: ApiClient;
  let otherApi: ApiClient;

  beforeAll(async () => {
    server = await startTestServer(driver);
    editor = await connectEditor(server.wsUrl);
    other = await connectEditor(server.wsUrl);
    api = server.api(editor.authToken);
    otherApi = server.api(other.authToken);
  });
  // The server closes the sockets itself first, so no token release races its shutdown.
  afterAll(async () => {
    await server?.destroy();
    await editor?.close();
    await other?.close();
  });

  /** POSTs a body given as raw JSON text, so the test controls every byte. */
  const postRaw = (client: ApiClient, path: string, text: string, method = 'POST') =>
    client.request(method, path, { raw: text, headers: { 'content-type': 'application/json' } });

  it('creates, reads, updates and deletes a project with the seed shapes', async () => {
    const before = Date.now();
    const created = await api.post('/api/projects', { name: 'Trailer', data: { tracks: [] }, thumbnail: 'iVBORw0KGgo=' });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(['id']);
    const id = created.body.id as string;

    const read = await api.get(`/api/projects/${id}`);
    expect(read.status).toBe(200);
    expect(Object.keys(read.body)).toEqual(['id', 'data', 'name', 'createTime', 'modifTime', 'thumbnail']);
    expect(read.body).toMatchObject({ id, data: { tracks: [] }, name: 'Trailer', thumbnail: 'iVBORw0KGgo=' });
    expect(read.body.createTime).toBeGreaterThanOrEqual(before);
    expect(read.body.createTime).toBeLessThanOrEqual(Date.now());
    expect(read.body.modifTime).toBe(read.body.createTime);

    const patched = await api.patch(`/api/projects/${id}`, { name: 'Trailer v2', modifTime: 1_700_000_000_123 });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual({});
    const afterPatch = (await api.get(`/api/projects/${id}`)).body;
    expect(afterPatch).toMatchObject({ name: 'Trailer v2', data: { tracks: [] }, thumbnail: 'iVBORw0KGgo=', modifTime: 1_700_000_000_123 });

    const timeBeforeDefault = Date.now();
    await api.patch(`/api/projects/${id}`, { thumbnail: 'AAAA' });
    const touched = (await api.get(`/api/projects/${id}`)).body;
    expect(touched.thumbnail).toBe('AAAA');
    expect(touched.modifTime).toBeGreaterThanOrEqual(timeBeforeDefault);

    expect((await api.delete(`/api/projects/${id}`)).body).toEqual({});
    expect((await api.get(`/api/projects/${id}`)).status).toBe(404);
    expect((await api.delete(`/api/projects/${id}`)).status).toBe(404);
    expect((await api.patch(`/api/projects/${id}`, { name: 'x' })).status).toBe(404);
  });

  it('keeps a client-given createTime and starts modifTime there', async () => {
    const { body } = await api.post('/api/projects', { name: 'Old', createTime: 1_600_000_000_000 });
    const read = (await api.get(`/api/projects/${body.id}`)).body;
    expect(read).toMatchObject({ createTime: 1_600_000_000_000, modifTime: 1_600_000_000_000, data: null, thumbnail: '' });
  });

  it('answers JSON data byte for byte, several megabytes, through create, update and the list', async () => {
    const data = timelineText(3 * 2 ** 20, [newId(), newId()]);
    const created = await postRaw(api, '/api/projects', `{"name":"Big JSON","data":${data}}`);
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    const read = await api.get(`/api/projects/${id}`);
    expect(read.text.startsWith(`{"id":${JSON.stringify(id)},"data":${data},"name":"Big JSON",`)).toBe(true);
    // The value survives as sent: a 20-digit integer is not rounded, 1.0 stays 1.0.
    expect(read.text).toContain('"big" : 12345678901234567890');

    const updated = timelineText(2 * 2 ** 20, [newId()], 'v2');
    expect((await postRaw(api, `/api/projects/${id}`, `{ "data" :${updated} , "modifTime": 5 }`, 'PATCH')).status).toBe(200);
    const reread = await api.get(`/api/projects/${id}`);
    expect(reread.text.startsWith(`{"id":${JSON.stringify(id)},"data":${updated},"name":"Big JSON",`)).toBe(true);

    const list = await api.get('/api/projects?data=1&search=big%20json');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`"data":${updated},"name":"Big JSON"`);
    expect(list.body.entries).toHaveLength(1);
  });

  it('answers string data (not JSON inside) byte for byte, including characters Postgres cannot hold raw', async () => {
    const chunk = '<xml a="1">\u0000 nul, \ud800 lone surrogate, 😀, \\ backslash, "quotes"\n</xml>';
    const value = chunk.repeat(Math.ceil((2.5 * 2 ** 20) / chunk.length));
    const text = JSON.stringify(value);
    expect(text).toContain('\\u0000');
    expect(text).toContain('\\ud800');
    const created = await postRaw(api, '/api/projects', `{"name":"Big string","data":${text}}`);
    expect(created.status).toBe(200);
    const read = await api.get(`/api/projects/${created.body.id}`);
    expect(read.text.startsWith(`{"id":${JSON.stringify(created.body.id)},"data":${text},`)).toBe(true);
    expect(read.body.data).toBe(value);

    // The client's own escapes are kept too: "\u0041" stays six characters, not "A".
    const escaped = '"\\u0041\\/\\t"';
    await postRaw(api, `/api/projects/${created.body.id}`, `{"data":${escaped}}`, 'PATCH');
    const reread = await api.get(`/api/projects/${created.body.id}`);
    expect(reread.text).toContain(`"data":${escaped},`);
    expect(reread.body.data).toBe('A/\t');
  });

  it('lists with paging, search, sorting and data only when asked', async () => {
    const lister = await connectEditor(server.wsUrl);
    const client = server.api(lister.authToken);
    for (const [i, name] of ['Alpha cut', 'beta CUT', 'Gamma', 'delta cut'].entries()) {
      await client.post('/api/projects', { name, data: { i }, createTime: 1000 + i });
    }
    const all = await client.get('/api/projects');
    expect(all.body.total_count).toBe(4);
    expect(all.body.entries.map((e: any) => e.name)).toEqual(['delta cut', 'Gamma', 'beta CUT', 'Alpha cut']);
    expect(all.body.entries.every((e: any) => !('data' in e))).toBe(true);

    const page = await client.get('/api/projects?start_number=1&count=2&sort_field=name&sort_order=asc&data=1');
    expect(page.body.total_count).toBe(4);
    expect(page.body.entries.map((e: any) => [e.name, e.data])).toEqual([
      ['beta CUT', { i: 1 }],
      ['delta cut', { i: 3 }],
    ]);
    const searched = await client.get('/api/projects?search=CuT&data=0');
    expect(searched.body.total_count).toBe(3);
    expect(searched.body.entries.map((e: any) => e.name).sort()).toEqual(['Alpha cut', 'beta CUT', 'delta cut']);
    const beyond = await client.get('/api/projects?start_number=10');
    expect(beyond.body).toEqual({ total_count: 4, entries: [] });

    // An over-large count is capped, never refused.
    const capped = await client.get('/api/projects?count=5000');
    expect(capped.status).toBe(200);
    expect(capped.body.total_count).toBe(4);
    for (const bad of ['count=abc', 'start_number=-1', 'sort_field=size', 'sort_order=up', 'data=yes']) {
      const response = await client.get(`/api/projects?${bad}`);
      expect(response.status, bad).toBe(400);
      expect(response.body.error.type).toBe('bad_request');
    }
    await lister.close();
  });

  it("answers 404 for another user's project on every verb, and leaves it untouched", async () => {
    const mediaId = newId();
    const { body } = await api.post('/api/projects', { name: 'Mine', data: { media: mediaId } });
    const id = body.id as string;
    expect((await otherApi.get(`/api/projects/${id}`)).status).toBe(404);
    expect((await otherApi.patch(`/api/projects/${id}`, { name: 'Stolen', data: {} })).status).toBe(404);
    expect((await otherApi.delete(`/api/projects/${id}`)).status).toBe(404);
    expect((await otherApi.get(`/api/projects/${id}/mediafiles`)).status).toBe(404);
    expect((await otherApi.get(`/api/actions?project=${id}`)).status).toBe(404);
    expect((await otherApi.post('/api/actions', { project: id, name: 'x' })).status).toBe(404);
    const missingId = newId();
    const missing = await otherApi.get(`/api/projects/${missingId}`);
    const foreign = await otherApi.get(`/api/projects/${id}`);
    expect(foreign.text.replace(id, '<id>')).toBe(missing.text.replace(missingId, '<id>'));

    const otherList = await otherApi.get('/api/projects?count=1000');
    expect(otherList.body.entries.map((e: any) => e.id)).not.toContain(id);
    expect((await api.get(`/api/projects/${id}`)).body).toMatchObject({ name: 'Mine', data: { media: mediaId } });
    const usage = await server.controlPlane.services.mediaUsage.projectsUsing(other.userId, [mediaId]);
    expect(usage.size).toBe(0);
  });

  it('indexes the media ids the data mentions on every save and answers them as media files', async () => {
    // Two real files of the user's library, and an id-shaped token that is no media.
    const a = (await storedMedia(server, editor.userId, { name: 'A.mp4' })).id;
    const b = (await storedMedia(server, editor.userId, { name: 'B.mp4' })).id;
    const c = newId();
    const usage = (ids: string[]) => server.controlPlane.services.mediaUsage.projectsUsing(editor.userId, ids);

    const { body } = await api.post('/api/projects', { data: { clips: [{ src: a }, { src: `/media/${b}/preview.mp4` }] } });
    const id = body.id as string;
    expect(await usage([a, b, c])).toEqual(
      new Map([
        [a, [id]],
        [b, [id]],
      ]),
    );
    const files = await api.get(`/api/projects/${id}/mediafiles`);
    expect(files.body.total_count).toBe(2);
    expect(files.body.entries.map((e: any) => e.name).sort()).toEqual(['A.mp4', 'B.mp4']);
    expect(files.body.entries[0]).toMatchObject({ type: 'uploaded', mediaType: 'video', status: 'ready' });

    // A second project sharing one file, then an edit that drops a and adds c.
    const second = (await api.post('/api/projects', { data: JSON.stringify({ media: b }) })).body.id as string;
    await api.patch(`/api/projects/${id}`, { data: { clips: [{ src: c }, { src: b }] } });
    expect(await usage([a, b, c])).toEqual(
      new Map([
        [b, [id, second].sort()],
        [c, [id]],
      ]),
    );
    // A save without data keeps the index; one with the same ids rewrites nothing.
    await api.patch(`/api/projects/${id}`, { name: 'renamed' });
    await api.patch(`/api/projects/${id}`, { data: { clips: [{ src: b }, { src: c }], moved: true } });
    expect((await usage([c])).get(c)).toEqual([id]);

    await api.delete(`/api/projects/${id}`);
    expect(await usage([a, b, c])).toEqual(new Map([[b, [second]]]));
  });

  it('raises project_create and project_update events in the same statement as the change', async () => {
    const { db } = server.controlPlane.database;
    const eventsOf = async (projectId: string) =>
      (
        await sql<{ type: string; user_id: string; payload: any }>`
          select type, user_id, payload from domain_events where payload->>'projectId' = ${projectId} order by seq
        `.execute(db)
      ).rows;
    const { body } = await api.post('/api/projects', { name: 'Evented', thumbnail: 'T1' });
    await api.patch(`/api/projects/${body.id}`, { data: [1] });
    await api.patch(`/api/projects/${body.id}`, { thumbnail: 'T2' });
    expect(await otherApi.patch(`/api/projects/${body.id}`, { thumbnail: 'T3' })).toMatchObject({ status: 404 });
    expect(await eventsOf(body.id)).toEqual([
      { type: 'project_create', user_id: editor.userId, payload: { projectId: body.id, thumbnail: 'T1' } },
      { type: 'project_update', user_id: editor.userId, payload: { projectId: body.id, thumbnail: 'T1' } },
      { type: 'project_update', user_id: editor.userId, payload: { projectId: body.id, thumbnail: 'T2' } },
    ]);
  });

  it('keeps the media index equal to the final data when two tabs save at once', async () => {
    const { body } = await api.post('/api/projects', { name: 'Shared', data: {} });
    const id = body.id as string;
    const secondTab = server.api(editor.authToken);
    const saves = Array.from({ length: 24 }, (_, i) => {
      const ids = [newId(), newId()];
      return { ids, data: { tab: i % 2, clips: ids } };
    });
    const results = await Promise.all(saves.map((save, i) => (i % 2 ? secondTab : api).patch(`/api/projects/${id}`, { data: save.data })));
    expect(results.map((r) => r.status)).toEqual(saves.map(() => 200));

    const final = (await api.get(`/api/projects/${id}`)).body.data;
    const winner = saves.find((save) => JSON.stringify(save.data) === JSON.stringify(final));
    expect(winner).toBeDefined();
    const everyId = saves.flatMap((save) => save.ids);
    const usage = await server.controlPlane.services.mediaUsage.projectsUsing(editor.userId, everyId);
    expect([...usage.keys()].sort()).toEqual([...winner!.ids].sort());
    expect(await server.controlPlane.services.projects.mediaIds(editor.userId, id)).toEqual([...winner!.ids].sort());

    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from domain_events where type = 'project_update' and payload->>'projectId' = ${id}
    `.execute(server.controlPlane.database.db);
    expect(rows[0]!.n).toBe(saves.length);
  });

  it('stores an autosave that changes one clip as a few new chunks, keeping only the current ones', async () => {
    const { db } = server.controlPlane.database;
    const chunkRows = async (projectId: string) =>
      (
        await sql<{ hash: string; bytes: number }>`
          select hash, octet_length(content) as bytes from project_data_chunks where project_id = ${projectId}
        `.execute(db)
      ).rows;
    const manifest = async (projectId: string) =>
      (await sql<{ data_chunks: string[] }>`select data_chunks from projects where id = ${projectId}`.execute(db)).rows[0]!.data_chunks;

    const original = timelineText(2 * 2 ** 20, [newId(), newId()]);
    const id = (await postRaw(api, '/api/projects', `{"name":"Chunked","data":${original}}`)).body.id as string;
    const before = await chunkRows(id);
    expect(before.length).toBeGreaterThan(20);

    // The editor moves one clip in the middle of the timeline and autosaves the whole project.
    const edited = original.replace('"clip-5000",\n  "media"', '"clip-5000",\n  "moved": true, "media"');
    expect(edited).not.toBe(original);
    expect((await postRaw(api, `/api/projects/${id}`, `{"data":${edited}}`, 'PATCH')).status).toBe(200);
    const after = await chunkRows(id);
    const known = new Set(before.map((c) => c.hash));
    const added = after.filter((c) => !known.has(c.hash));
    expect(added.length).toBeGreaterThanOrEqual(1);
    expect(added.length).toBeLessThanOrEqual(3);
    expect(added.reduce((sum, c) => sum + c.bytes, 0)).toBeLessThan(200 * 1024);
    // Chunks no longer named by the project are gone; those it names are all there.
    expect(new Set(after.map((c) => c.hash))).toEqual(new Set(await manifest(id)));
    expect((await api.get(`/api/projects/${id}`)).text).toContain(`"data":${edited},"name":"Chunked"`);

    // Back to the first version: its chunks are written again, and nothing else is left.
    expect((await postRaw(api, `/api/projects/${id}`, `{"data":${original}}`, 'PATCH')).status).toBe(200);
    expect(new Set((await chunkRows(id)).map((c) => c.hash))).toEqual(new Set(before.map((c) => c.hash)));
    expect((await api.get(`/api/projects/${id}`)).text).toContain(`"data":${original},"name":"Chunked"`);
  });

  it('refuses a large autosave with a fault deep inside, saying where, and keeps the saved data', async () => {
    const saved = timelineText(1024 * 1024, [newId()]);
    const id = (await postRaw(api, '/api/projects', `{"data":${saved}}`)).body.id as string;
    // The same timeline with one clip broken near its end, as a buggy editor might send it.
    const at = saved.lastIndexOf('.0, "gain"');
    const broken = `${saved.slice(0, at)}., "gain"${saved.slice(at + '.0, "gain"'.length)}`;
    const response = await postRaw(api, `/api/projects/${id}`, `{"data":${broken}}`, 'PATCH');
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/malformed JSON body: invalid number: a digit must follow the point at byte \d+/);
    const offset = Number(/at byte (\d+)/.exec(response.body.error.message)![1]);
    expect(offset).toBeGreaterThan(1024 * 1024 * 0.9);
    expect((await api.get(`/api/projects/${id}`)).text).toContain(`"data":${saved},`);
  });

  it('answers one whole version, byte for byte, after two tabs autosave large data at once', async () => {
    const base = timelineText(512 * 1024, [newId()]);
    const id = (await postRaw(api, '/api/projects', `{"data":${base}}`)).body.id as string;
    const secondTab = server.api(editor.authToken);
    // Versions share most chunks and differ in a few, as successive autosaves do.
    const versions = Array.from({ length: 16 }, (_, i) => base.replace(`"clip-${100 * i}",`, `"clip-${100 * i}", "edit": ${i},`));
    const results = await Promise.all(versions.map((text, i) => postRaw(i % 2 ? secondTab : api, `/api/projects/${id}`, `{"data":${text}}`, 'PATCH')));
    expect(results.map((r) => r.status)).toEqual(versions.map(() => 200));
    const read = await api.get(`/api/projects/${id}`);
    const data = read.text.slice(read.text.indexOf('"data":') + 7, read.text.lastIndexOf(',"name":'));
    expect(versions.includes(data)).toBe(true);
    const { rows } = await sql<{ stored: number; named: number }>`
      select (select count(*)::int from project_data_chunks where project_id = ${id}) as stored,
        (select count(distinct h)::int from projects, unnest(data_chunks) h where id = ${id}) as named
    `.execute(server.controlPlane.database.db);
    expect(rows[0]!.stored).toBe(rows[0]!.named);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const { paths } = (await server.api().get('/api/openapi.json')).body;
    expect(paths['/api/projects'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['start_number', 'count', 'data', 'search']));
    expect(paths['/api/projects/{id}'].patch.requestBody.content['application/json'].schema.properties).toHaveProperty('modifTime');
    expect(paths['/api/projects/{id}/mediafiles'].get).toBeDefined();
    expect(paths['/api/actions/{id}'].patch.requestBody.content['application/json'].schema.required).toContain('canceled');
    expect(paths['/api/overlay_img'].post.responses).toHaveProperty('400');
  });

  it('refuses bad input with 400 and a JSON error', async () => {
    const { body } = await api.post('/api/projects', { name: 'Target' });
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/api/projects', { name: 5 }],
      ['POST', '/api/projects', { createTime: '1600000000000' }],
      ['POST', '/api/projects', { createTime: 1.5 }],
      ['POST', '/api/projects', { name: 'nul\u0000byte' }],
      ['POST', '/api/projects', { name: 'lone \ud800 surrogate' }],
      ['POST', '/api/projects', { thumbnail: ['x'] }],
      ['PATCH', `/api/projects/${body.id}`, { modifTime: -1 }],
      ['PATCH', `/api/projects/${body.id}`, { name: null }],
    ];
    for (const [method, path, payload] of cases) {
      const response = await api.request(method, path, { body: payload });
      expect(response.status, JSON.stringify(payload)).toBe(400);
      expect(response.body.error.type).toBe('bad_request');
    }
    const malformed = await postRaw(api, '/api/projects', '{"data": {"unclosed": ');
    expect(malformed.status).toBe(400);
    expect((await api.get(`/api/projects/${body.id}`)).body.name).toBe('Target');
    expect((await server.api().get(`/api/projects/${body.id}`)).status).toBe(401);
  });
});
