import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRow } from '../../control-plane/src/db/media-repository.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';

const storages = ['fs', 's3'] as const;

const EDITOR_API_KEYS = [
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

/**
 * The media library over HTTP, on each storage driver: the editor API's shapes, playback through the
 * signed URLs, statuses and who may call. The rules (list order, filters, search, folder moves
 * and deletes, isolation between users) are asserted on the services, in
 * test/medium/media-library.test.ts.
 */
describe.each(storages)('media library over HTTP (%s storage)', (storage) => {
  let server: TestServer;
  let s3: TestS3Server | undefined;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    s3 = storage === 's3' ? await startS3Server() : undefined;
    server = await startTestServer('postgres', s3 ? s3.env('media-library') : {});
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
    let owner: TestUser;

    beforeAll(async () => {
      owner = await signedInUser(server, 'lister');
      const base = Date.now() - 1_000_000;
      for (let i = 0; i < 9; i++) {
        const mediaType = (['video', 'audio', 'image'] as const)[i % 3]!;
        await storedMedia(server, owner.id, {
          name: `${['Beach', 'mid_100%', 'voice'][i % 3]} ${i}.${{ video: 'mp4', audio: 'mp3', image: 'png' }[mediaType]}`,
          mediaType,
          type: i === 4 ? 'voiceover' : 'uploaded',
          sizeBytes: 100 * (i + 1),
          createTimeMs: base + i * 1000,
        });
      }
      const folder = await createFolder(owner, 'B-roll');
      await storedMedia(server, owner.id, { name: 'inside.mp4', folderId: folder });
    });

    const list = (query: string) => owner.api.get(`/api/mediafiles?${query}`);
    const all = { folders: true, mediaTypes: ['video', 'audio', 'image'], voiceover: true } as const;
    it.each([
      ['', {}],
      ['start_number=2&count=3&sort_field=name&sort_order=asc', { startNumber: 2, count: 3, sortField: 'name', sortOrder: 'asc' }],
      ['sort_field=size&sort_order=desc&search=BEACH', { sortField: 'size', sortOrder: 'desc', search: 'BEACH' }],
      ['sort_field=duration&filter=audio,folder,voiceover', { sortField: 'duration', filter: { folders: true, mediaTypes: ['audio'], voiceover: true } }],
      ['filter=video&folder=root&count=5000', { filter: { folders: false, mediaTypes: ['video'], voiceover: false }, count: 1000 }],
      ['search=100%25&start_number=500', { search: '100%', startNumber: 500 }],
    ] as const)('answers ?%s as the media service lists it', async (query, asked) => {
      const answer = await list(query);
      expect(answer.status).toBe(200);
      const expected = await server.controlPlane.services.media.list(owner.id, {
        startNumber: 0,
        count: 20,
        filter: all as never,
        sortField: 'createTime',
        sortOrder: 'desc',
        folderId: null,
        ...(asked as object),
      });
      expect(answer.body).toEqual(JSON.parse(JSON.stringify(expected)));
      if (query === '') expect(answer.body.total_count).toBe(10);
    });

    it('lists a folder named by ?folder=', async () => {
      const folder = (await owner.api.get('/api/mediafiles?filter=folder')).body.entries[0].id;
      expect((await owner.api.get(`/api/mediafiles?folder=${folder}`)).body.entries.map((e: { name: string }) => e.name)).toEqual(['inside.mp4']);
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

    it('answers the editor API media object', async () => {
      const answer = await alice.api.get(`/api/mediafiles/${file.id}`);
      expect(answer.status).toBe(200);
      for (const key of EDITOR_API_KEYS) expect(answer.body).toHaveProperty(key);
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

    it('answers its status, also for the quoted id the editor API writes', async () => {
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
      for (const key of EDITOR_API_KEYS) expect(listed.body.entries[0]).toHaveProperty(key);
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

    it('moves files and folders with PUT /api/folders/<id>/entries, answering 400 and 404 for refused moves', async () => {
      const a = await createFolder(alice, 'A');
      const b = await createFolder(alice, 'B', a);
      const file = await storedMedia(server, alice.id);
      const moved = await alice.api.put(`/api/folders/${b}/entries`, { files: [file.id] });
      expect(moved.status).toBe(200);
      expect(moved.body).toEqual({});
      expect((await alice.api.get(`/api/mediafiles?folder=${b}`)).body.entries.map((e: { id: string }) => e.id)).toEqual([file.id]);
      const looping = await alice.api.put(`/api/folders/${b}/entries`, { folders: [a] });
      expect(looping.status).toBe(400);
      expect(looping.body.error.message).toContain('into itself');
      expect((await alice.api.put('/api/folders/root/entries', { files: [file.id], folders: ['missing'] })).status).toBe(404);
      expect((await alice.api.put('/api/folders/root/entries', { files: [file.id] })).status).toBe(200);
      expect((await alice.api.put('/api/folders/missing/entries', { files: [file.id] })).status).toBe(404);
      expect((await alice.api.put(`/api/folders/${a}/entries`, { files: 'x' })).status).toBe(400);
    });

    it('deletes a folder with its files and their bytes, refusing used_in_projects without force=1', async () => {
      const top = await createFolder(alice, 'Doomed');
      const file = await storedMedia(server, alice.id, { folderId: top });
      await alice.api.post('/api/projects', { name: 'User', data: `<clip src="${file.id}"/>` });
      const refused = await alice.api.delete(`/api/folders/${top}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error.type).toBe('used_in_projects');
      const deleted = await alice.api.delete(`/api/folders/${top}?force=1`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({});
      expect(await stored(file.original_key)).toBeUndefined();
      expect((await alice.api.delete(`/api/folders/${top}`)).status).toBe(404);
      expect((await alice.api.delete('/api/folders/root')).status).toBe(400);
    });
  });

  describe('isolation between users', () => {
    it("answers 404 not_found for another user's files and folders, as for missing ones", async () => {
      const folder = await createFolder(alice, 'Private');
      const file = await storedMedia(server, alice.id, { name: 'private.mp4', folderId: folder });
      const refusals = [
        await bob.api.get(`/api/mediafiles/${file.id}`),
        await bob.api.get(`/api/mediafile/status?id=${file.id}`),
        await bob.api.delete(`/api/mediafiles/${file.id}?force=1`),
        await bob.api.get(`/api/mediafiles?folder=${folder}`),
        await bob.api.patch(`/api/folders/${folder}`, { name: 'pwned' }),
        await bob.api.delete(`/api/folders/${folder}?force=1`),
        await bob.api.put('/api/folders/root/entries', { files: [file.id] }),
      ];
      for (const answer of refusals) {
        expect(answer.status).toBe(404);
        expect(answer.body.error.type).toBe('not_found');
      }
      expect((await alice.api.get(`/api/mediafiles?folder=${folder}`)).body.entries.map((e: { id: string }) => e.id)).toEqual([file.id]);
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

    it('answers 401 without a token and 404 for a token bound to nobody', async () => {
      expect((await server.api().get('/api/mediafiles')).status).toBe(401);
      expect((await server.api('unbound-token').get('/api/mediafiles')).status).toBe(404);
    });
  });
});
