import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRow } from '../../control-plane/src/db/media-repository.js';
import { drivers } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';

const storages = ['fs', 's3'] as const;
const matrix = drivers.flatMap((driver) => storages.map((storage) => [driver, storage] as const));

const SEED_KEYS = [
  'id',
  'name',
  'type',
  'filetype',
  'mediaType',
  'duration',
  'size',
  'width',
  'height',
  'thumbnail',
  'previewUrl',
  'originalUrl',
  'audioTracks',
  'status',
  'progress',
  'error',
  'taskId',
  'categoryId',
  'moodId',
];

interface Known {
  id: string;
  folder: boolean;
  name: string;
  size: number;
  duration: number;
  createTime: number;
}

/** The order the API promises, computed independently: folders first, then files by key and id. */
function referenceOrder(entries: Known[], field: 'name' | 'createTime' | 'size' | 'duration', order: 'asc' | 'desc'): string[] {
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  const sign = order === 'asc' ? 1 : -1;
  const key = (e: Known) => (field === 'name' ? e.name.toLowerCase() : e[field]);
  const files = entries.filter((e) => !e.folder).sort((a, b) => sign * (cmp(key(a), key(b)) || cmp(a.id, b.id)));
  const folderKey = (e: Known) => (field === 'createTime' ? e.createTime : e.name.toLowerCase());
  const folderSign = field === 'name' || field === 'createTime' ? sign : 1;
  const folders = entries.filter((e) => e.folder).sort((a, b) => folderSign * (cmp(folderKey(a), folderKey(b)) || cmp(a.id, b.id)));
  return [...folders, ...files].map((e) => e.id);
}

describe.each(matrix)('media library (%s database, %s storage)', (driver, storage) => {
  let server: TestServer;
  let s3: TestS3Server | undefined;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    s3 = storage === 's3' ? await startS3Server() : undefined;
    server = await startTestServer(driver, s3 ? s3.env('media-library') : {});
    alice = await signedInUser(server, 'alice');
    bob = await signedInUser(server, 'bob');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await bob?.editor.close();
    await server?.destroy();
    await s3?.stop();
  });

  const stored = async (key: string | null) => (key === null ? undefined : server.controlPlane.services.storage.head(key));
  const createFolder = async (user: TestUser, name: string, folder?: string) => {
    const answer = await user.api.post('/api/folders', folder === undefined ? { name } : { name, folder });
    expect(answer.status).toBe(200);
    return answer.body.id as string;
  };

  describe('listing', () => {
    let home: string;
    const known: Known[] = [];

    beforeAll(async () => {
      // A fresh user, so the root holds exactly what this block makes.
      const owner = await signedInUser(server, 'lister');
      home = owner.token;
      const base = Date.now() - 1_000_000;
      const names = ['Beach.mp4', 'beach.mp4', 'alpha 1.mov', 'Zulu.mp3', 'mid_100%.png', 'b2.webm', 'a10.m4a', 'A2.jpg'];
      for (let i = 0; i < 24; i++) {
        const mediaType = (['video', 'audio', 'image'] as const)[i % 3]!;
        const row = await storedMedia(server, owner.id, {
          name: `${names[i % names.length]!.replace(/\.\w+$/, '')} ${i % 5}.${{ video: 'mp4', audio: 'mp3', image: 'png' }[mediaType]}`,
          mediaType,
          type: i === 7 || i === 19 ? 'voiceover' : 'uploaded',
          sizeBytes: [500, 1500, 500, 90, 70_000][i % 5]!,
          durationHns: [0, 10_000_000, 55_000_000, 10_000_000][i % 4]!,
          // Some equal creation times: the id breaks those ties.
          createTimeMs: base + Math.floor(i / 2) * 1000,
        });
        known.push({ id: row.id, folder: false, name: row.name, size: row.size_bytes, duration: row.duration_hns, createTime: row.create_time_ms });
      }
      for (const name of ['Projects', 'archive', 'B-roll']) {
        const id = await createFolder(owner, name);
        const row = await server.controlPlane.database.db.selectFrom('folders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        known.push({ id, folder: true, name, size: 0, duration: 0, createTime: row.create_time_ms });
      }
      // Inside a sub-folder: never in the root listing.
      const inner = known.find((k) => k.folder)!.id;
      await storedMedia(server, owner.id, { name: 'inside.mp4', folderId: inner });
    });

    const list = (query: string) => server.api(home).get(`/api/mediafiles?${query}`);

    it.each([
      ['name', 'asc'],
      ['name', 'desc'],
      ['createTime', 'asc'],
      ['createTime', 'desc'],
      ['size', 'asc'],
      ['size', 'desc'],
      ['duration', 'asc'],
      ['duration', 'desc'],
    ] as const)('pages through sort_field=%s sort_order=%s in the reference order', async (field, order) => {
      const seen: string[] = [];
      for (let start = 0; start < known.length; start += 7) {
        const page = await list(`start_number=${start}&count=7&sort_field=${field}&sort_order=${order}`);
        expect(page.status).toBe(200);
        expect(page.body.total_count).toBe(known.length);
        expect(page.body.entries.length).toBe(Math.min(7, known.length - start));
        seen.push(...page.body.entries.map((e: { id: string }) => e.id));
      }
      expect(seen).toEqual(referenceOrder(known, field, order));
    });

    it('defaults to 20 entries by createTime, newest first, and answers past the end with none', async () => {
      const page = await list('');
      expect(page.body.entries.map((e: { id: string }) => e.id)).toEqual(referenceOrder(known, 'createTime', 'desc').slice(0, 20));
      const past = await list('start_number=500');
      expect(past.body).toEqual({ total_count: known.length, entries: [] });
      const all = await list('count=5000');
      expect(all.body.entries.length).toBe(known.length);
    });

    it('filters by media type, folders and voiceovers, comma-separated', async () => {
      const ids = async (filter: string) => {
        const page = await list(`filter=${filter}&count=100`);
        expect(page.status).toBe(200);
        expect(page.body.total_count).toBe(page.body.entries.length);
        return page.body.entries as Array<{ id: string; filetype: string; mediaType: string; type: string }>;
      };
      const videos = await ids('video');
      expect(videos.length).toBe(8);
      expect(videos.every((e) => e.mediaType === 'video')).toBe(true);
      const folders = await ids('folder');
      expect(folders.map((e) => e.filetype)).toEqual(['folder', 'folder', 'folder']);
      const voiceovers = await ids('voiceover');
      expect(voiceovers.map((e) => e.type)).toEqual(['voiceover', 'voiceover']);
      const mixed = await ids('audio,image,folder');
      expect(mixed.length).toBe(8 + 8 + 3);
      expect(mixed.slice(0, 3).every((e) => e.filetype === 'folder')).toBe(true);
    });

    it('searches names case-insensitively, with % and _ taken literally', async () => {
      const names = async (search: string) =>
        ((await list(`search=${encodeURIComponent(search)}&count=100`)).body.entries as Array<{ name: string }>).map((e) => e.name);
      const beach = await names('BEACH');
      expect(beach.length).toBe(known.filter((k) => k.name.toLowerCase().includes('beach')).length);
      expect(beach.length).toBeGreaterThan(0);
      expect(await names('100%')).toEqual(expect.arrayContaining([expect.stringContaining('mid_100%')]));
      expect((await names('_1')).every((n) => n.includes('_1'))).toBe(true);
      expect(await names('%')).toEqual(await names('100%'));
      expect(await names('roll')).toEqual(['B-roll']);
      expect(await names('no such name')).toEqual([]);
    });

    it.each([
      ['filter=video,movies', /unknown filter movies/],
      ['sort_field=color', /sort_field/],
      ['sort_order=up', /sort_order/],
      ['start_number=-1', /start_number/],
      ['count=ten', /count/],
      ['start_number=1.5', /start_number/],
    ])('answers 400 for %s', async (query, message) => {
      const answer = await list(query);
      expect(answer.status).toBe(400);
      expect(answer.body.error.type).toBe('bad_request');
      expect(answer.body.error.message).toMatch(message);
    });
  });

  describe('a media file', () => {
    let file: MediaRow;
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));

    beforeAll(async () => {
      file = await storedMedia(server, alice.id, {
        name: 'Interview take 3.mp4',
        original: bytes,
        durationHns: 123_400_000,
        width: 1920,
        height: 1080,
        thumbnail: 'iVBORw0KGgo=',
      });
    });

    it('answers the seed media object', async () => {
      const answer = await alice.api.get(`/api/mediafiles/${file.id}`);
      expect(answer.status).toBe(200);
      for (const key of SEED_KEYS) expect(answer.body).toHaveProperty(key);
      expect(answer.body).toMatchObject({
        id: file.id,
        name: 'Interview take 3.mp4',
        type: 'uploaded',
        filetype: 'mp4',
        mediaType: 'video',
        duration: 123_400_000,
        size: 1000,
        width: 1920,
        height: 1080,
        thumbnail: 'iVBORw0KGgo=',
        audioTracks: [],
        status: 'ready',
        progress: 100,
        error: null,
        taskId: '',
        categoryId: '',
        moodId: '',
        folder: null,
      });
      // No proxy: the preview is the original.
      expect(answer.body.previewUrl).toBe(answer.body.originalUrl);
      // The display name never reaches storage.
      expect(answer.body.previewUrl).not.toContain('Interview');
    });

    it('answers its status, also for the quoted id the seed writes', async () => {
      await server.controlPlane.services.media.setState(file.id, { status: 'convert', progress: 42, error: { type: 'internal_server_error', message: 'x' } });
      for (const query of [`id=${file.id}`, `&id="${file.id}"`, `&id=%22${file.id}%22`]) {
        const answer = await alice.api.get(`/api/mediafile/status?${query}`);
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ status: 'convert', progress: 42, error: { type: 'internal_server_error', message: 'x' } });
      }
      await server.controlPlane.services.media.setState(file.id, { status: 'ready', progress: 100, error: null });
      expect((await alice.api.get('/api/mediafile/status')).status).toBe(400);
      expect((await alice.api.get('/api/mediafile/status?id=nope')).status).toBe(404);
    });

    it('plays through previewUrl with HTTP Range', async () => {
      const { previewUrl } = (await alice.api.get(`/api/mediafiles/${file.id}`)).body;
      const whole = await fetch(previewUrl);
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

      const range = async (header: string) => {
        const answer = await fetch(previewUrl, { headers: { range: header } });
        return { status: answer.status, headers: answer.headers, body: Buffer.from(await answer.arrayBuffer()) };
      };
      const first = await range('bytes=0-99');
      expect(first.status).toBe(206);
      expect(first.headers.get('content-range')).toBe('bytes 0-99/1000');
      expect(first.headers.get('content-length')).toBe('100');
      expect(first.body.equals(bytes.subarray(0, 100))).toBe(true);

      const openEnded = await range('bytes=900-');
      expect(openEnded.status).toBe(206);
      expect(openEnded.headers.get('content-range')).toBe('bytes 900-999/1000');
      expect(openEnded.body.equals(bytes.subarray(900))).toBe(true);

      const beyond = await range('bytes=1000-');
      expect(beyond.status).toBe(416);
      const overlong = await range('bytes=990-5000');
      expect(overlong.status).toBe(206);
      expect(overlong.body.equals(bytes.subarray(990))).toBe(true);
    });

    // In s3 mode these URLs are the store's own; s3rver parses suffix ranges wrongly, and the
    // rest of the headers are S3's. In fs mode they are ours, so every edge is checked.
    it.runIf(storage === 'fs')('serves the seek edge cases a player relies on (fs)', async () => {
      const { previewUrl } = (await alice.api.get(`/api/mediafiles/${file.id}`)).body;
      const suffix = await fetch(previewUrl, { headers: { range: 'bytes=-10' } });
      expect(suffix.status).toBe(206);
      expect(suffix.headers.get('content-range')).toBe('bytes 990-999/1000');
      expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(990))).toBe(true);

      const beyond = await fetch(previewUrl, { headers: { range: 'bytes=5000-6000' } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe('bytes */1000');
      expect(((await beyond.json()) as { error: { type: string } }).error.type).toBe('range_not_satisfiable');

      const whole = await fetch(previewUrl, { method: 'HEAD' });
      expect(whole.status).toBe(200);
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      expect(whole.headers.get('content-length')).toBe('1000');
      expect(whole.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
      const etag = whole.headers.get('etag')!;
      expect(etag).toBeTruthy();
      expect((await fetch(previewUrl, { headers: { 'if-none-match': etag } })).status).toBe(304);
      // A stale If-Range means the object changed: the whole new object, not a spliced range.
      const stale = await fetch(previewUrl, { headers: { range: 'bytes=0-9', 'if-range': '"old"' } });
      expect(stale.status).toBe(200);
      await stale.arrayBuffer();
      const fresh = await fetch(previewUrl, { headers: { range: 'bytes=0-9', 'if-range': etag } });
      expect(fresh.status).toBe(206);
      await fresh.arrayBuffer();

      const tampered = new URL(previewUrl);
      tampered.searchParams.set('sig', 'A'.repeat(43));
      const refused = await fetch(tampered);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('forbidden');
    });

    it('gives the same URLs to repeated calls, so browsers can cache them', async () => {
      const first = (await alice.api.get(`/api/mediafiles/${file.id}`)).body.previewUrl;
      const second = (await alice.api.get(`/api/mediafiles/${file.id}`)).body.previewUrl;
      expect(second).toBe(first);
    });

    it('points previewUrl at the proxy and originalUrl at the original when a proxy exists', async () => {
      const withProxy = await storedMedia(server, alice.id, { name: 'camera.mxf', filetype: 'mxf', derived: true });
      const answer = (await alice.api.get(`/api/mediafiles/${withProxy.id}`)).body;
      expect(answer.previewUrl).not.toBe(answer.originalUrl);
      const preview = await fetch(answer.previewUrl);
      expect(preview.headers.get('content-type')).toBe('video/mp4');
      expect((await preview.arrayBuffer()).byteLength).toBe(500);
      const original = await fetch(answer.originalUrl);
      expect(original.headers.get('content-type')).toBe('application/mxf');
      await original.arrayBuffer();
    });
  });

  describe('deleting', () => {
    it('removes the row and every stored object: original, proxy, thumbnails', async () => {
      const file = await storedMedia(server, alice.id, { derived: true });
      for (const key of [file.original_key, file.proxy_key, file.thumbnails_key]) expect(await stored(key)).toBeDefined();
      const answer = await alice.api.delete(`/api/mediafiles/${file.id}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({});
      for (const key of [file.original_key, file.proxy_key, file.thumbnails_key]) expect(await stored(key)).toBeUndefined();
      expect((await alice.api.get(`/api/mediafiles/${file.id}`)).status).toBe(404);
      expect((await alice.api.delete(`/api/mediafiles/${file.id}`)).status).toBe(404);
      expect(await server.controlPlane.services.objectDeletions.pending()).toBe(0);
    });

    it('refuses a file a project uses with used_in_projects, unless force=1', async () => {
      const file = await storedMedia(server, alice.id);
      // A real project whose data mentions the file: the projects' media index answers.
      const project = (await alice.api.post('/api/projects', { name: 'Uses it', data: { clips: [{ src: file.id }] } })).body.id;
      const refused = await alice.api.delete(`/api/mediafiles/${file.id}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ type: 'used_in_projects', title: 'Used in projects' });
      expect(refused.body.error.message).toContain(project);
      expect(await stored(file.original_key)).toBeDefined();
      expect((await alice.api.delete(`/api/mediafiles/${file.id}?force=0`)).status).toBe(400);
      expect((await alice.api.delete(`/api/mediafiles/${file.id}?force=1`)).status).toBe(200);
      expect(await stored(file.original_key)).toBeUndefined();
      expect((await alice.api.delete(`/api/mediafiles/x?force=yes`)).status).toBe(400);
    });
  });

  describe('folders', () => {
    it('nests, renames, and lists folders as entries with filetype folder', async () => {
      const top = await createFolder(alice, 'Top');
      const sub = await createFolder(alice, 'Sub', top);
      expect((await alice.api.patch(`/api/folders/${sub}`, { name: 'Renamed' })).body).toEqual({});
      expect((await alice.api.patch(`/api/folders/${sub}`, {})).status).toBe(200);
      const listed = await alice.api.get(`/api/mediafiles?folder=${top}`);
      expect(listed.body.total_count).toBe(1);
      expect(listed.body.entries[0]).toMatchObject({ id: sub, name: 'Renamed', filetype: 'folder', type: 'folder', folder: top });
      for (const key of SEED_KEYS) expect(listed.body.entries[0]).toHaveProperty(key);
      expect((await alice.api.post('/api/folders', { name: '  ' })).status).toBe(400);
      expect((await alice.api.post('/api/folders', {})).status).toBe(400);
      expect((await alice.api.post('/api/folders', { name: 'x', folder: 'missing' })).status).toBe(404);
      expect((await alice.api.patch('/api/folders/missing', { name: 'x' })).status).toBe(404);
      expect((await alice.api.get('/api/mediafiles?folder=missing')).status).toBe(404);
      const viaRoot = await alice.api.post('/api/folders', { name: 'At root', folder: 'root' });
      expect((await alice.api.get('/api/mediafiles?folder=root&filter=folder&count=1000')).body.entries.map((e: { id: string }) => e.id)).toContain(
        viaRoot.body.id,
      );
    });

    it('moves files and folders, all or nothing, and refuses moves into a folder’s own subtree', async () => {
      const a = await createFolder(alice, 'A');
      const b = await createFolder(alice, 'B', a);
      const c = await createFolder(alice, 'C', b);
      const other = await createFolder(alice, 'Other');
      const file = await storedMedia(server, alice.id);
      const ids = async (folder: string) =>
        ((await alice.api.get(`/api/mediafiles?folder=${folder}&count=1000`)).body.entries as Array<{ id: string }>).map((e) => e.id);

      expect((await alice.api.put(`/api/folders/${c}/entries`, { files: [file.id], folders: [other] })).status).toBe(200);
      expect(await ids(c)).toEqual([other, file.id]);

      for (const target of [a, b, c, other]) {
        const looping = await alice.api.put(`/api/folders/${target}/entries`, { folders: [a] });
        expect(looping.status).toBe(400);
        expect(looping.body.error.message).toContain('into itself');
      }
      // Nothing moved by a refused request, even the valid part of it.
      const partial = await alice.api.put(`/api/folders/root/entries`, { files: [file.id], folders: [b, 'missing'] });
      expect(partial.status).toBe(404);
      expect(await ids(c)).toEqual([other, file.id]);

      expect((await alice.api.put('/api/folders/root/entries', { files: [file.id], folders: [other] })).status).toBe(200);
      const root = await ids('root');
      expect(root).toContain(file.id);
      expect(root).toContain(other);
      expect(await ids(c)).toEqual([]);
      expect((await alice.api.put('/api/folders/missing/entries', { files: [file.id] })).status).toBe(404);
      expect((await alice.api.put(`/api/folders/${a}/entries`, { files: 'x' })).status).toBe(400);
    });

    it('deletes recursively, with the stored bytes of every file inside', async () => {
      const top = await createFolder(alice, 'Doomed');
      const mid = await createFolder(alice, 'Mid', top);
      const deep = await createFolder(alice, 'Deep', mid);
      const files = [
        await storedMedia(server, alice.id, { folderId: top, derived: true }),
        await storedMedia(server, alice.id, { folderId: mid }),
        await storedMedia(server, alice.id, { folderId: deep, derived: true }),
      ];
      const outside = await storedMedia(server, alice.id);
      await alice.api.post('/api/projects', { name: 'Deep user', data: `<clip src="${files[2]!.id}"/>` });
      const refused = await alice.api.delete(`/api/folders/${top}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error.type).toBe('used_in_projects');
      expect(await stored(files[0]!.original_key)).toBeDefined();

      expect((await alice.api.delete(`/api/folders/${top}?force=1`)).status).toBe(200);
      for (const file of files) {
        for (const key of [file.original_key, file.proxy_key, file.thumbnails_key]) expect(await stored(key)).toBeUndefined();
        expect((await alice.api.get(`/api/mediafiles/${file.id}`)).status).toBe(404);
      }
      for (const folder of [top, mid, deep]) expect((await alice.api.get(`/api/mediafiles?folder=${folder}`)).status).toBe(404);
      expect(await stored(outside.original_key)).toBeDefined();
      expect((await alice.api.delete(`/api/folders/${top}`)).status).toBe(404);
      expect((await alice.api.delete('/api/folders/root')).status).toBe(400);
    });
  });

  describe('isolation between users', () => {
    it("answers 404 for another user's files and folders on every endpoint, moves included", async () => {
      const folder = await createFolder(alice, 'Private');
      const file = await storedMedia(server, alice.id, { name: 'private.mp4', folderId: folder });
      const rootFile = await storedMedia(server, alice.id, { name: 'alice-root.mp4' });
      const bobFolder = await createFolder(bob, 'Mine');
      const bobFile = await storedMedia(server, bob.id, { name: 'bob.mp4' });

      const refusals = [
        await bob.api.get(`/api/mediafiles/${file.id}`),
        await bob.api.get(`/api/mediafile/status?id=${file.id}`),
        await bob.api.delete(`/api/mediafiles/${file.id}?force=1`),
        await bob.api.get(`/api/mediafiles?folder=${folder}`),
        await bob.api.post('/api/folders', { name: 'intruder', folder }),
        await bob.api.patch(`/api/folders/${folder}`, { name: 'pwned' }),
        await bob.api.delete(`/api/folders/${folder}?force=1`),
        await bob.api.put(`/api/folders/${folder}/entries`, { files: [bobFile.id] }),
        await bob.api.put(`/api/folders/${bobFolder}/entries`, { files: [rootFile.id] }),
        await bob.api.put(`/api/folders/${bobFolder}/entries`, { folders: [folder] }),
        await bob.api.put('/api/folders/root/entries', { files: [file.id] }),
      ];
      for (const answer of refusals) {
        expect(answer.status).toBe(404);
        expect(answer.body.error.type).toBe('not_found');
      }
      const bobRoot = (await bob.api.get('/api/mediafiles?count=1000')).body.entries.map((e: { id: string }) => e.id);
      expect(bobRoot).toEqual([bobFolder, bobFile.id]);
      // Alice's things are untouched.
      const aliceFolder = (await alice.api.get(`/api/mediafiles?folder=${folder}`)).body.entries;
      expect(aliceFolder.map((e: { id: string; name: string }) => e.id)).toEqual([file.id]);
      expect(await stored(file.original_key)).toBeDefined();
      expect((await alice.api.get('/api/mediafiles?filter=folder&count=1000')).body.entries.find((e: { id: string }) => e.id === folder).name).toBe('Private');
    });

    it('documents the media endpoints in the OpenAPI document', async () => {
      const doc = (await server.api().get('/api/openapi.json')).body;
      const list = doc.paths['/api/mediafiles'].get;
      expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(['start_number', 'count', 'filter', 'sort_field', 'sort_order', 'search', 'folder']);
      expect(list.security).toEqual([{ authToken: [] }]);
      expect(Object.keys(doc.paths['/api/folders/{id}'])).toEqual(['patch', 'delete']);
      expect(doc.paths['/api/folders/{id}/entries'].put).toBeDefined();
      expect(Boolean(doc.paths['/files/{key}'])).toBe(storage === 'fs');
    });

    it("describes many files at once for a project's media list, leaving out others' ids", async () => {
      const mine = [await storedMedia(server, alice.id, { name: 'one.mp4' }), await storedMedia(server, alice.id, { name: 'two.mp4' })];
      const theirs = await storedMedia(server, bob.id, { name: 'theirs.mp4' });
      const described = await server.controlPlane.services.media.describeMany(alice.id, [mine[1]!.id, theirs.id, 'not-an-id', mine[0]!.id, mine[1]!.id]);
      expect(described.map((e) => e.name)).toEqual(['two.mp4', 'one.mp4']);
      expect(described[0]).toEqual((await alice.api.get(`/api/mediafiles/${mine[1]!.id}`)).body);
    });

    it('answers 401 without a token and 404 for a token bound to nobody', async () => {
      expect((await server.api().get('/api/mediafiles')).status).toBe(401);
      expect((await server.api('unbound-token').get('/api/mediafiles')).status).toBe(404);
    });
  });
});
