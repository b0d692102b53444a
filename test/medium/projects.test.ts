import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { newId } from '../../control-plane/src/ids.js';
import type { ProjectListQuery } from '../../control-plane/src/services/projects/projects.js';
import { startMediumServices, type MediumServices } from '../support/medium.js';

/** A JSON document of about `bytes` bytes in an unusual but valid formatting, mentioning `mediaIds`. */
function timelineText(bytes: number, mediaIds: string[], label = 'v1'): string {
  const clips: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const clip = `{ "id" : "clip-${i}",\n  "media": "${mediaIds[i % Math.max(1, mediaIds.length)] ?? 'none'}", "start" : ${i}.0, "note": "é\\u00e9 ${label}" }`;
    clips.push(clip);
    size += clip.length + 2;
  }
  return `{\n  "version" : 3,\n  "clips" : [\n${clips.join(',\n')}\n  ]\n}`;
}

const json = (text: string) => ({ bytes: Buffer.from(text) });

describe('projects (service, Postgres)', () => {
  let services: MediumServices;
  let owner: string;
  let stranger: string;

  beforeAll(async () => {
    services = await startMediumServices();
    owner = await services.factory.user('owner');
    stranger = await services.factory.user('stranger');
  });
  afterAll(() => services?.destroy());

  const projects = () => services.projects;
  const usage = (ids: string[], user = owner) => projects().projectsUsing(user, ids);
  const db = () => services.database.db;

  it('lists with paging, case-insensitive search and sorting, newest first by default', async () => {
    const lister = await services.factory.user('lister');
    for (const [i, name] of ['Alpha cut', 'beta CUT', 'Gamma', 'delta cut'].entries()) {
      await services.factory.project({ owner: lister, name, createTimeMs: 1000 + i });
    }
    const query: ProjectListQuery = { offset: 0, limit: 20, sortField: 'createTime', descending: true };
    const names = async (q: Partial<ProjectListQuery> = {}) => {
      const { total, rows } = await projects().list(lister, { ...query, ...q });
      return { total, names: rows.map((row) => row.name) };
    };
    expect(await names()).toEqual({ total: 4, names: ['delta cut', 'Gamma', 'beta CUT', 'Alpha cut'] });
    expect(await names({ offset: 1, limit: 2, sortField: 'name', descending: false })).toEqual({ total: 4, names: ['beta CUT', 'delta cut'] });
    const searched = await names({ search: 'CuT' });
    expect(searched.total).toBe(3);
    expect(searched.names.sort()).toEqual(['Alpha cut', 'beta CUT', 'delta cut']);
    expect(await names({ offset: 10 })).toEqual({ total: 4, names: [] });
    // Another user's list holds none of them.
    expect((await projects().list(stranger, query)).rows.map((row) => row.name)).not.toContain('Gamma');
  });

  it("keeps another user's project out of reach on every operation, and untouched", async () => {
    const mediaId = newId();
    const id = await services.factory.project({ owner, name: 'Mine', data: { media: mediaId } });
    await expect(projects().get(stranger, id)).rejects.toMatchObject({ status: 404, type: 'not_found' });
    await expect(projects().update(stranger, id, { name: 'Stolen', data: json('{}') })).rejects.toMatchObject({ status: 404 });
    await expect(projects().delete(stranger, id)).rejects.toMatchObject({ status: 404 });
    await expect(projects().mediaFiles(stranger, id)).rejects.toMatchObject({ status: 404 });
    expect(await usage([mediaId], stranger)).toEqual(new Map());
    expect(await projects().get(owner, id)).toMatchObject({ name: 'Mine', dataJson: JSON.stringify({ media: mediaId }) });
  });

  it('indexes the media ids the data mentions on every save and answers them as media files', async () => {
    // Two real files of the user's library, and an id-shaped token that is no media.
    const a = (await services.factory.media({ owner, name: 'A.mp4' })).id;
    const b = (await services.factory.media({ owner, name: 'B.mp4' })).id;
    const c = newId();

    const id = await services.factory.project({ owner, data: { clips: [{ src: a }, { src: `/media/${b}/preview.mp4` }] } });
    expect(await usage([a, b, c])).toEqual(
      new Map([
        [a, [id]],
        [b, [id]],
      ]),
    );
    const files = (await projects().mediaFiles(owner, id)) as Array<{ name: string; type: string; status: string }>;
    expect(files.map((e) => e.name).sort()).toEqual(['A.mp4', 'B.mp4']);
    expect(files[0]).toMatchObject({ type: 'uploaded', mediaType: 'video', status: 'ready' });

    // A second project sharing one file (its data a string), then an edit that drops a and adds c.
    const second = await services.factory.project({ owner, data: JSON.stringify({ media: b }) });
    await projects().update(owner, id, { data: json(JSON.stringify({ clips: [{ src: c }, { src: b }] })) });
    expect(await usage([a, b, c])).toEqual(
      new Map([
        [b, [id, second].sort()],
        [c, [id]],
      ]),
    );
    // A save without data keeps the index.
    await projects().update(owner, id, { name: 'renamed' });
    expect(await projects().mediaIds(owner, id)).toEqual([b, c].sort());

    await projects().delete(owner, id);
    expect(await usage([a, b, c])).toEqual(new Map([[b, [second]]]));
  });

  it('raises project_create and project_update events in the same statement as the change, none for a refused one', async () => {
    const eventsOf = async (projectId: string) =>
      (
        await sql<{ type: string; user_id: string; payload: any }>`
          select type, user_id, payload from domain_events where payload->>'projectId' = ${projectId} order by seq
        `.execute(db())
      ).rows;
    const { id } = await projects().create(owner, { name: 'Evented', thumbnail: 'T1' });
    await projects().update(owner, id, { data: json('[1]') });
    await projects().update(owner, id, { thumbnail: 'T2' });
    await expect(projects().update(stranger, id, { thumbnail: 'T3' })).rejects.toMatchObject({ status: 404 });
    expect(await eventsOf(id)).toEqual([
      { type: 'project_create', user_id: owner, payload: { projectId: id, thumbnail: 'T1' } },
      { type: 'project_update', user_id: owner, payload: { projectId: id, thumbnail: 'T1' } },
      { type: 'project_update', user_id: owner, payload: { projectId: id, thumbnail: 'T2' } },
    ]);
  });

  it('keeps the media index equal to the final data when two tabs save at once', async () => {
    const id = await services.factory.project({ owner, name: 'Shared' });
    const saves = Array.from({ length: 24 }, () => {
      const ids = [newId(), newId()];
      return { ids, text: JSON.stringify({ clips: ids }) };
    });
    await Promise.all(saves.map((save) => projects().update(owner, id, { data: json(save.text) })));

    const final = (await projects().get(owner, id)).dataJson;
    const winner = saves.find((save) => save.text === final);
    expect(winner).toBeDefined();
    const everyId = saves.flatMap((save) => save.ids);
    expect([...(await usage(everyId)).keys()].sort()).toEqual([...winner!.ids].sort());
    expect(await projects().mediaIds(owner, id)).toEqual([...winner!.ids].sort());
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from domain_events where type = 'project_update' and payload->>'projectId' = ${id}
    `.execute(db());
    expect(rows[0]!.n).toBe(saves.length);
  });

  it('stores an autosave that changes one clip as a few new chunks, keeping only the current ones', async () => {
    const chunkRows = async (projectId: string) =>
      (
        await sql<{ hash: string; bytes: number }>`
          select hash, octet_length(content) as bytes from project_data_chunks where project_id = ${projectId}
        `.execute(db())
      ).rows;
    const manifest = async (projectId: string) =>
      (await sql<{ data_chunks: string[] }>`select data_chunks from projects where id = ${projectId}`.execute(db())).rows[0]!.data_chunks;

    const original = timelineText(2 * 2 ** 20, [newId(), newId()]);
    const { id } = await projects().create(owner, { name: 'Chunked', data: json(original) });
    const before = await chunkRows(id);
    expect(before.length).toBeGreaterThan(20);

    // The editor moves one clip in the middle of the timeline and autosaves the whole project.
    const edited = original.replace('"clip-5000",\n  "media"', '"clip-5000",\n  "moved": true, "media"');
    expect(edited).not.toBe(original);
    await projects().update(owner, id, { data: json(edited) });
    const after = await chunkRows(id);
    const known = new Set(before.map((c) => c.hash));
    const added = after.filter((c) => !known.has(c.hash));
    expect(added.length).toBeGreaterThanOrEqual(1);
    expect(added.length).toBeLessThanOrEqual(3);
    expect(added.reduce((sum, c) => sum + c.bytes, 0)).toBeLessThan(200 * 1024);
    // Chunks no longer named by the project are gone; those it names are all there.
    expect(new Set(after.map((c) => c.hash))).toEqual(new Set(await manifest(id)));
    expect((await projects().get(owner, id)).dataJson).toBe(edited);

    // Back to the first version: its chunks are written again, and nothing else is left.
    await projects().update(owner, id, { data: json(original) });
    expect(new Set((await chunkRows(id)).map((c) => c.hash))).toEqual(known);
    expect((await projects().get(owner, id)).dataJson).toBe(original);
  });

  it('answers one whole version, byte for byte, after two tabs autosave large data at once', async () => {
    const base = timelineText(512 * 1024, [newId()]);
    const { id } = await projects().create(owner, { data: json(base) });
    // Versions share most chunks and differ in a few, as successive autosaves do.
    const versions = Array.from({ length: 16 }, (_, i) => base.replace(`"clip-${100 * i}",`, `"clip-${100 * i}", "edit": ${i},`));
    await Promise.all(versions.map((text) => projects().update(owner, id, { data: json(text) })));
    expect(versions).toContain((await projects().get(owner, id)).dataJson);
    const { rows } = await sql<{ stored: number; named: number }>`
      select (select count(*)::int from project_data_chunks where project_id = ${id}) as stored,
        (select count(distinct h)::int from projects, unnest(data_chunks) h where id = ${id}) as named
    `.execute(db());
    expect(rows[0]!.stored).toBe(rows[0]!.named);
  });
});
