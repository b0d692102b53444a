import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import fs from 'node:fs/promises';
import { sql } from 'kysely';
import { settledMedia, signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';
import { smallMp4 } from '../support/media.js';
import { clip, followEditing, xtl } from '../support/editing.js';
import WebSocket from 'ws';
import { connectEditor, uniqueToken } from '../support/editor-client.js';
import { holdFor } from '../support/waiting.js';

/** The media_file_entry_object's fields the editor API shows as `<string>` (or a URL, or base64). */
const EDITOR_API_STRINGS = [
  'id',
  'name',
  'type',
  'filetype',
  'mediaType',
  'thumbnail',
  'previewUrl',
  'originalUrl',
  'status',
  'taskId',
  'categoryId',
  'moodId',
];
const EDITOR_API_NUMBERS = ['duration', 'size', 'width', 'height', 'progress'];

function expectEditorApiEntry(entry: Record<string, unknown>): void {
  for (const key of EDITOR_API_STRINGS) expect(typeof entry[key], `${key} of ${JSON.stringify(entry)}`).toBe('string');
  for (const key of EDITOR_API_NUMBERS) expect(typeof entry[key], key).toBe('number');
  expect(Array.isArray(entry.audioTracks)).toBe(true);
}

/**
 * A client written from the editor API alone: it sends what a browser sends by default and reads the
 * editor API's shapes, with no knowledge of our extensions.
 */
describe('a client that knows only the editor API', () => {
  let server: TestServer;
  let alice: TestUser;
  beforeAll(async () => {
    server = await startTestServer('postgres', { WORKERS: '1', DISPATCH_INTERVAL_MS: '100', MAX_ATTEMPTS: '1' });
    alice = await signedInUser(server, 'alice');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
  });

  /** `fetch` as an editor calls it: the body a JSON string, no headers but the token. */
  const browserFetch = (method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method, headers: { authorization: alice.token, ...headers }, ...(body === undefined ? {} : { body }) });

  describe('JSON bodies', () => {
    it('reads a body sent as text/plain, the browser default for a string body', async () => {
      const created = await browserFetch('POST', '/api/projects', JSON.stringify({ name: 'Plain', data: { v: 1 } }));
      expect(created.status).toBe(200);
      const { id } = (await created.json()) as { id: string };
      const saved = await browserFetch('PATCH', `/api/projects/${id}`, JSON.stringify({ data: { v: 2, clips: ['a'] } }));
      expect(saved.status).toBe(200);
      const project = (await alice.api.get(`/api/projects/${id}`)).body;
      expect(project).toMatchObject({ name: 'Plain', data: { v: 2, clips: ['a'] } });
    });

    it('reads a body sent with no Content-Type at all', async () => {
      const bytes = new TextEncoder().encode(JSON.stringify({ name: 'Untyped', thumbnail: 'T' }));
      const created = await browserFetch('POST', '/api/projects', bytes);
      expect(created.status).toBe(200);
      const { id } = (await created.json()) as { id: string };
      expect((await alice.api.get(`/api/projects/${id}`)).body).toMatchObject({ name: 'Untyped', thumbnail: 'T' });
    });

    it('refuses a body of another type with 415, saving nothing', async () => {
      const before = (await alice.api.get('/api/projects')).body.total_count;
      const form = await browserFetch('POST', '/api/projects', new URLSearchParams({ name: 'Form' }));
      expect(form.status).toBe(415);
      expect(((await form.json()) as any).error.type).toBe('unsupported_media_type');
      const { id } = (await alice.api.post('/api/projects', { name: 'Kept', data: { v: 1 } })).body;
      const binary = await browserFetch('PATCH', `/api/projects/${id}`, JSON.stringify({ data: { v: 2 } }), {
        'content-type': 'application/octet-stream',
      });
      expect(binary.status).toBe(415);
      expect((await alice.api.get(`/api/projects/${id}`)).body.data).toEqual({ v: 1 });
      expect((await alice.api.get('/api/projects')).body.total_count).toBe(before + 1);
    });

    it('keeps upload chunks as bytes whatever their type says', async () => {
      const bytes = Buffer.from('{"not":"json, just the first bytes of a file"}');
      const { id } = (await alice.api.post('/api/upload/media', { size: bytes.length * 2, name: 'a.mp4' })).body;
      for (const [start, type] of [
        [0, 'application/json'],
        [bytes.length, undefined],
      ] as const) {
        const answer = await browserFetch('PUT', `/api/upload/media?id=${id}`, new Uint8Array(bytes), {
          'content-range': `bytes ${start}-${start + bytes.length - 1}/${bytes.length * 2}`,
          ...(type ? { 'content-type': type } : {}),
        });
        expect(answer.status).toBe(start === 0 ? 206 : 200);
      }
      const state = (await alice.api.get(`/api/upload/media?id=${id}`)).body;
      expect(state).toMatchObject({ receivedBytes: bytes.length * 2, complete: true });
    });
  });

  describe('strings are strings', () => {
    it('answers "" rather than null in every editor API string of a user', async () => {
      const { id } = (await server.api().post('/api/users', {})).body;
      expect((await server.api().get(`/api/users/${id}`)).body).toEqual({ name: '', data: '' });
    });

    it('answers every editor API field of a media entry with its editor API type, before ingest and for folders', async () => {
      const folder = (await alice.api.post('/api/folders', { name: 'Rushes' })).body.id;
      const { id } = (await alice.api.post('/api/upload/media', { size: 1000, name: 'take.mp4', folder })).body;
      const uploading = (await alice.api.get(`/api/mediafiles/${id}`)).body;
      expectEditorApiEntry(uploading);
      expect(uploading).toMatchObject({ status: 'upload', thumbnail: '', previewUrl: '', originalUrl: '', categoryId: '', moodId: '' });
      const listed = (await alice.api.get(`/api/mediafiles?folder=${folder}`)).body.entries;
      expect(listed.map((e: { id: string }) => e.id)).toEqual([id]);
      const root = (await alice.api.get('/api/mediafiles?filter=folder')).body.entries;
      expect(root.length).toBeGreaterThan(0);
      for (const entry of [...listed, ...root]) expectEditorApiEntry(entry);
    });
  });

  describe('list parameters', () => {
    const empty = 'start_number=&count=&sort_field=&sort_order=&search=';

    it('takes an empty query value as the parameter left out', async () => {
      for (let i = 0; i < 3; i++) await alice.api.post('/api/projects', { name: `Listed ${i}` });
      const image = await storedMedia(server, alice.id, { mediaType: 'image', thumbnail: 'iVBORw0KGgo=' });
      for (const [path, plain] of [
        [`/api/mediafiles?${empty}&filter=&folder=`, '/api/mediafiles'],
        [`/api/projects?${empty}&data=`, '/api/projects'],
        [`/api/audiolib_files?${empty}&category_id=&mood_id=&type=`, '/api/audiolib_files'],
        [`/api/clip_thumbnails?id=${image.id}&start_time=&step=&count=&cached=`, `/api/clip_thumbnails?id=${image.id}`],
      ] as const) {
        const withEmpty = await alice.api.get(path);
        expect(withEmpty.status, `${path}: ${withEmpty.text}`).toBe(200);
        expect(withEmpty.body).toEqual((await alice.api.get(plain)).body);
      }
      const media = (await alice.api.get(`/api/mediafiles?${empty}`)).body;
      expect(media.entries.length).toBe(Math.min(20, media.total_count));
      expect(media.entries.length).toBeGreaterThan(0);
    });

    it('caps an over-large count at 1000 on every list, the same way', async () => {
      const image = await storedMedia(server, alice.id, { mediaType: 'image', thumbnail: 'iVBORw0KGgo=' });
      const thumbnails = await alice.api.get(`/api/clip_thumbnails?id=${image.id}&count=5000`);
      expect(thumbnails.status).toBe(200);
      expect(thumbnails.body.thumbnails).toHaveLength(1000);
      for (const path of ['/api/mediafiles', '/api/projects', '/api/audiolib_files']) {
        const page = await alice.api.get(`${path}?count=1000000`);
        expect(page.status, `${path}: ${page.text}`).toBe(200);
        expect(page.body.entries).toHaveLength(page.body.total_count);
      }
    });
  });

  describe('folders', () => {
    it('takes folder null, "" and "root" as the root on upload and URL import', async () => {
      for (const folder of [null, '', 'root']) {
        const uploaded = await alice.api.post('/api/upload/media', { size: 10, name: 'root.mp4', folder });
        expect(uploaded.status, JSON.stringify(folder)).toBe(200);
        expect((await alice.api.get(`/api/mediafiles/${uploaded.body.id}`)).body.folder).toBeNull();
        const imported = await alice.api.post('/api/import/media/url', { url: 'https://media.invalid/clip.mp4', folder });
        expect(imported.status, JSON.stringify(folder)).toBe(200);
        expect((await alice.api.get(`/api/mediafiles/${imported.body.id}`)).body.folder).toBeNull();
      }
    });
  });

  describe('smaller faults', () => {
    it('takes an empty file as a whole upload at once, which ingest then judges', async () => {
      const created = await alice.api.post('/api/upload/media', { size: 0, name: 'empty.mp4' });
      expect(created.status).toBe(200);
      expect((await alice.api.get(`/api/upload/media?id=${created.body.id}`)).body).toMatchObject({ size: 0, receivedBytes: 0, complete: true });
      const asked = await alice.api.request('PUT', `/api/upload/media?id=${created.body.id}`, { raw: '', headers: { 'content-range': 'bytes */0' } });
      expect(asked.status).toBe(200);
      const entry = await settledMedia(alice, created.body.id, 120_000);
      expect(entry).toMatchObject({ status: 'upload', error: { type: 'unsupported_media' } });
    }, 150_000);

    it('answers a folder id on GET /api/mediafiles/<id> and /api/mediafile/status as the folder', async () => {
      const folder = (await alice.api.post('/api/folders', { name: 'Described' })).body.id;
      const described = await alice.api.get(`/api/mediafiles/${folder}`);
      expect(described.status).toBe(200);
      expect(described.body).toMatchObject({ id: folder, name: 'Described', type: 'folder', filetype: 'folder', status: 'ready' });
      expectEditorApiEntry(described.body);
      expect((await alice.api.get(`/api/mediafile/status?id=${folder}`)).body).toEqual({ status: 'ready', progress: 100, error: null });
      const stranger = await signedInUser(server, 'stranger');
      try {
        expect((await stranger.api.get(`/api/mediafiles/${folder}`)).status).toBe(404);
        expect((await stranger.api.get(`/api/mediafile/status?id=${folder}`)).status).toBe(404);
      } finally {
        await stranger.editor.close();
      }
    });

    it('counts as uploading now only the sessions that received bytes recently', async () => {
      const active = async () => (await server.api().get('/api/stat')).body.activeImportFromLocalDriveCount as number;
      const { id } = (await alice.api.post('/api/upload/media', { size: 100, name: 'left open.mp4' })).body;
      const withIt = await active();
      // The tab was closed ten minutes ago: the session lives on for a day, but nothing is uploading.
      await sql`update upload_sessions set updated_at = now() - interval '10 minutes' where media_id = ${id}`.execute(server.controlPlane.database.db);
      expect(await active()).toBe(withIt - 1);
      await alice.api.request('PUT', `/api/upload/media?id=${id}`, { raw: new Uint8Array(10), headers: { 'content-range': 'bytes 0-9/100' } });
      expect(await active()).toBe(withIt);
    });

    it('imports a URL whose file name has a malformed % escape, naming it as written', async () => {
      const imported = await alice.api.post('/api/import/media/url', { url: 'https://media.invalid/100%%20off%E9%20sale.mp4' });
      expect(imported.status).toBe(200);
      expect((await alice.api.get(`/api/mediafiles/${imported.body.id}`)).body.name).toBe('100% off%E9 sale.mp4');
    });
  });

  describe("errors in the editor API's own fields", () => {
    it('answers POST /api/task/editing errors as {taskId, fileId, error} with the message in error', async () => {
      const bad = await alice.api.post('/api/task/editing', { xtl_task: '<timelines version="2"><timeline>' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ taskId: '', fileId: '', error: expect.stringMatching(/^XTL error/) });
      expect(bad.body.errorDetail).toMatchObject({ type: 'bad_request', message: bad.body.error });
      // Every error of the route, an unread token and a malformed body included.
      const anonymous = await server.api().post('/api/task/editing', { xtl_task: 'x' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ taskId: '', fileId: '', error: expect.stringMatching(/Authorization/) });
      const malformed = await browserFetch('POST', '/api/task/editing', '{"xtl_task": ');
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ taskId: '', fileId: '', error: expect.stringMatching(/malformed JSON/) });
    });

    it('answers clip thumbnail, overlay and task stop errors with the message in status', async () => {
      const thumbnails = await alice.api.get('/api/clip_thumbnails?id=no-such-media&count=2');
      expect(thumbnails.status).toBe(404);
      expect(thumbnails.body).toMatchObject({ status: expect.stringMatching(/no-such-media/), thumbnails: [], error: { type: 'not_found' } });
      const overlay = await server.api().post('/api/overlay_img', { data: 'x' });
      expect(overlay.status).toBe(401);
      expect(overlay.body).toMatchObject({ status: expect.any(String), id: '', error: { type: 'unauthorized' } });
      expect(overlay.body.status).not.toBe('');
      const stop = await alice.api.delete('/api/task/editing?id=no-such-task');
      expect(stop.status).toBe(404);
      expect(stop.body).toMatchObject({ status: expect.stringMatching(/no-such-task/), error: { type: 'not_found' } });
    });

    it('answers bucket import errors as {id, error} with the message in error', async () => {
      const bad = await alice.api.post('/api/import/media/awsbucket', { awsAccessKey: 'k', awsSecreteKey: 's' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ id: '', error: expect.stringMatching(/awsBucketName/), errorDetail: { type: 'bad_request' } });
    });

    it("refuses deleting used media or folders with the editor API's {error: <media error object>} and a 400, and force=1 deletes", async () => {
      const folder = (await alice.api.post('/api/folders', { name: 'Used' })).body.id;
      const file = await storedMedia(server, alice.id, { folderId: folder });
      await alice.api.post('/api/projects', { name: 'User', data: { clips: [file.id] } });
      for (const path of [`/api/mediafiles/${file.id}`, `/api/folders/${folder}`]) {
        const refused = await alice.api.delete(path);
        expect(refused.status, path).toBe(400);
        expect(refused.body).toEqual({ error: { type: 'used_in_projects', message: expect.any(String), title: 'Used in projects' } });
      }
      expect((await alice.api.delete(`/api/folders/${folder}?force=1`)).status).toBe(200);
      expect((await alice.api.get(`/api/mediafiles/${file.id}`)).status).toBe(404);
    });
  });

  describe('action history', () => {
    it('takes canceled as "true" and "false", keeps a unique client id and answers the id used for a duplicate', async () => {
      const project = (await alice.api.post('/api/projects', { name: 'Undo' })).body.id;
      const first = await alice.api.post('/api/actions', { id: '1632798732', project, name: 'cut', data: { at: 1 } });
      expect(first.body).toEqual({ id: '1632798732' });
      const duplicate = await alice.api.post('/api/actions', { id: '1632798732', project, name: 'trim' });
      expect(duplicate.status).toBe(200);
      expect(duplicate.body.id).not.toBe('1632798732');
      for (const canceled of ['true', 'false', true] as const) {
        expect((await alice.api.patch(`/api/actions/${duplicate.body.id}`, { canceled })).status, String(canceled)).toBe(200);
        const entries = (await alice.api.get(`/api/actions?project=${project}`)).body.entries;
        expect(entries.map((e: { id: string; canceled: boolean }) => [e.id, e.canceled])).toEqual([
          ['1632798732', false],
          [duplicate.body.id, canceled === true || canceled === 'true'],
        ]);
      }
      expect((await alice.api.patch(`/api/actions/${duplicate.body.id}`, { canceled: 'maybe' })).status).toBe(400);
    });
  });

  describe('renders', () => {
    /** A real 2 s video of `owner`, stored, in the given ingest state. */
    const video = async (owner: TestUser, state: { status?: 'upload' | 'prepare_thumbnails' | 'ready'; error?: boolean } = {}) => {
      const row = await storedMedia(server, owner.id, {
        original: await fs.readFile(await smallMp4(2)),
        status: state.status ?? 'ready',
        durationHns: 2e7,
        width: 320,
        height: 240,
        audioTracks: ['Track 1'],
      });
      if (state.error) {
        await server.controlPlane.services.media.setState(row.id, {
          status: 'convert',
          progress: 10,
          error: { type: 'internal_server_error', message: 'the proxy could not be made' },
        });
      }
      return row;
    };
    const oneSecond = (src: string, root = '<timelines version="2">') =>
      xtl(`<group><track>${clip(src, '00:00:00:00', '00:00:01:00')}</track></group>`).replace('<timelines version="2">', root);
    const events = async (userId: string) =>
      server.controlPlane.database.db
        .selectFrom('domain_events')
        .select(['type', 'payload'])
        .where('user_id', '=', userId)
        .where('type', 'in', ['render_start', 'render_complete'])
        .orderBy('seq')
        .execute();

    it('renders a file still preparing thumbnails, and names the project the user saved last', { timeout: 180_000 }, async () => {
      const editor = await signedInUser(server, 'renderer');
      try {
        const source = await video(editor, { status: 'prepare_thumbnails' });
        const older = (await editor.api.post('/api/projects', { name: 'Older' })).body.id;
        const current = (await editor.api.post('/api/projects', { name: 'Current' })).body.id;
        await editor.api.patch(`/api/projects/${older}`, { name: 'Older' });
        await editor.api.patch(`/api/projects/${current}`, { data: { clips: [source.id] } });
        const created = await editor.api.post('/api/task/editing', { xtl_task: oneSecond(source.id) });
        expect(created.status, created.text).toBe(200);
        expect(created.body).toEqual({ taskId: expect.any(String), fileId: expect.any(String), error: '' });
        const { last } = await followEditing(editor.api, created.body.taskId, { timeoutMs: 170_000 });
        expect(last.status, JSON.stringify(last.error)).toBe('completed');
        const raised = await events(editor.id);
        expect(raised.map((e) => e.type)).toEqual(['render_start', 'render_complete']);
        expect(raised[0]!.payload).toEqual({ projectId: current });
        expect(raised[1]!.payload).toEqual({ projectId: current, downloadUrl: expect.stringMatching(/^http/), error: '' });
      } finally {
        await editor.editor.close();
      }
    });

    it('takes the project from the request, else from <timelines projectId>, and says "" when there is none', { timeout: 120_000 }, async () => {
      const editor = await signedInUser(server, 'projectless');
      try {
        const source = await video(editor);
        // No project at all: the callbacks say so with "".
        const alone = await editor.api.post('/api/task/editing', { xtl_task: oneSecond(source.id) });
        expect(alone.status, alone.text).toBe(200);
        await editor.api.delete(`/api/task/editing?id=${alone.body.taskId}`);
        const [first, second] = [
          (await editor.api.post('/api/projects', { name: 'A' })).body.id,
          (await editor.api.post('/api/projects', { name: 'B' })).body.id,
        ];
        const fromDocument = await editor.api.post('/api/task/editing', { xtl_task: oneSecond(source.id, `<timelines version="2" projectId="${first}">`) });
        await editor.api.delete(`/api/task/editing?id=${fromDocument.body.taskId}`);
        const fromRequest = await editor.api.post('/api/task/editing', {
          xtl_task: oneSecond(source.id, `<timelines version="2" projectId="${first}">`),
          projectId: second,
        });
        await editor.api.delete(`/api/task/editing?id=${fromRequest.body.taskId}`);
        const raised = (await events(editor.id)).map((e) => [e.type, e.payload]);
        expect(raised).toEqual([
          ['render_start', { projectId: '' }],
          ['render_complete', { projectId: '', downloadUrl: '', error: 'the render was aborted' }],
          ['render_start', { projectId: first }],
          ['render_complete', { projectId: first, downloadUrl: '', error: 'the render was aborted' }],
          ['render_start', { projectId: second }],
          ['render_complete', { projectId: second, downloadUrl: '', error: 'the render was aborted' }],
        ]);
        const foreign = await editor.api.post('/api/task/editing', { xtl_task: oneSecond(source.id, '<timelines version="2" projectId="not-mine">') });
        expect(foreign.status).toBe(404);
      } finally {
        await editor.editor.close();
      }
    });

    it('refuses a file that failed or has not finished uploading', async () => {
      const failed = await video(alice, { error: true });
      const uploading = await video(alice, { status: 'upload' });
      const refusedFailed = await alice.api.post('/api/task/editing', { xtl_task: oneSecond(failed.id) });
      expect(refusedFailed.status).toBe(400);
      expect(refusedFailed.body.error).toMatch(/cannot be rendered: the proxy could not be made/);
      const refusedUploading = await alice.api.post('/api/task/editing', { xtl_task: oneSecond(uploading.id) });
      expect(refusedUploading.status).toBe(400);
      expect(refusedUploading.body.error).toMatch(/not stored yet \(status: upload\)/);
    });
  });

  describe('the presence socket', () => {
    it('binds the token to the user of /websocket?session_id=<id>, with the editor API payload alone', async () => {
      const { id } = (await server.api().post('/api/users', { name: 'integrated' })).body;
      const editor = await connectEditor(`${server.wsUrl}?session_id=${id}`);
      try {
        expect(editor.userId).toBe(id);
        expect((await server.api(editor.authToken).get('/api/projects')).status).toBe(200);
      } finally {
        await editor.close();
      }
    });

    it('answers an HTTP call made before its user_event is bound once the bind commits, not with 404', async () => {
      const { id } = (await server.api().post('/api/users', { name: 'hasty' })).body;
      const authToken = uniqueToken();
      const ws = new WebSocket(`${server.wsUrl}?session_id=${id}`);
      await new Promise((resolve) => ws.once('open', resolve));
      try {
        // The call leaves first; the user_event follows it a moment later.
        const call = server.api(authToken).get('/api/projects');
        await holdFor(200); // the call is held meanwhile, not answered 404
        ws.send(JSON.stringify({ type: 'user_event', payload: { authToken } }));
        const answer = await call;
        expect(answer.status, answer.text).toBe(200);
        expect(answer.body).toEqual({ total_count: 0, entries: [] });
        // A token nobody binds is still the editor API's 404, after the wait.
        expect((await server.api(uniqueToken()).get('/api/projects')).status).toBe(404);
      } finally {
        ws.close();
      }
    });
  });
});
