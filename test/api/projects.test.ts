import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/**
 * The project routes over HTTP: the editor API's shapes, data answered byte for byte, statuses and who
 * may call them. The rules behind them (the media index, domain events, chunked storage,
 * concurrent saves, list order) are asserted on the service, in test/medium/projects.test.ts.
 */
describe('projects over HTTP', () => {
  let server: TestServer;
  let editor: EditorConnection;
  let other: EditorConnection;
  let api: ApiClient;
  let otherApi: ApiClient;

  beforeAll(async () => {
    server = await startTestServer('postgres');
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

  it('creates, reads, updates and deletes a project with the editor API shapes', async () => {
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

  it('lists with paging, search, sorting and data only when asked, capping the count', async () => {
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
    expect((await client.get('/api/projects?search=CuT&data=0')).body.total_count).toBe(3);

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
  });

  it("answers the media files a project's data mentions, as the media library describes them", async () => {
    const a = (await storedMedia(server, editor.userId, { name: 'A.mp4' })).id;
    const { body } = await api.post('/api/projects', { data: { clips: [{ src: a }, { src: newId() }] } });
    const files = await api.get(`/api/projects/${body.id}/mediafiles`);
    expect(files.status).toBe(200);
    expect(files.body).toEqual({ total_count: 1, entries: [(await api.get(`/api/mediafiles/${a}`)).body] });
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
