import fs from 'node:fs/promises';
import type http from 'node:http';
import { setTimeout as pause } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { DeveloperServer } from '../support/developer-server.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { connectEditor, type EditorConnection } from '../support/editor-client.js';
import { storedMedia } from '../support/media-factory.js';
import { smallMp4 } from '../support/media.js';
import { clip, downloadUrl, followEditing, probeOutput, xtl } from '../support/editing.js';
import type { ApiClient } from '../support/api-client.js';
import { settlesWithin } from '../support/waiting.js';

/**
 * Editing tasks as an integrator sees them: media of the developer's own catalogue resolved
 * through fetchFileUrl and downloaded by the render node, outputs delivered to the developer's
 * S3 bucket, render callbacks, and developer servers that misbehave.
 */

const env = {
  WORKERS: '2',
  DISPATCH_INTERVAL_MS: '100',
  WATCHDOG_INTERVAL_MS: '200',
  TASK_HEARTBEAT_INTERVAL_S: '1',
  TASK_HEARTBEAT_TIMEOUT_S: '10',
  MAX_ATTEMPTS: '2',
  FETCH_FILE_TIMEOUT_MS: '1000',
  SOURCE_DOWNLOAD_TIMEOUT_MS: '1000',
  CALLBACK_POLL_INTERVAL_MS: '50',
  CALLBACK_BACKOFF_MS: '50',
};

/** The developer's catalogue: fetchFileUrl answers per id, previews served as a CDN would (or would not). */
function catalogue(developer: DeveloperServer, clipFile: string) {
  const seen = { fetchFile: [] as Array<{ id: string; authorization: string | undefined }>, previews: [] as string[] };
  const entry = (id: string, previewPath: string) => ({
    id,
    previewUrl: `${developer.url}${previewPath}`,
    name: `${id}.mp4`,
    filetype: 'mp4',
    mediaType: 'video',
    duration: 4e7,
    size: 1000,
    width: 320,
    height: 240,
    thumbnail: '',
    audioTracks: ['Track 1'],
  });
  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
  developer.routes.set('/files/', (req, res) => {
    const id = decodeURIComponent(new URL(req.url!, developer.url).pathname.slice('/files/'.length));
    seen.fetchFile.push({ id, authorization: req.headers.authorization });
    switch (id) {
      case 'dev-clip':
        return json(res, 200, entry(id, '/media/trickle/clip.mp4'));
      case 'preview-500':
        return json(res, 200, entry(id, '/media/fail.mp4'));
      case 'preview-stall':
        return json(res, 200, entry(id, '/media/stall.mp4'));
      case 'preview-loop':
        return json(res, 200, entry(id, '/media/loop'));
      case 'preview-garbage':
        return json(res, 200, entry(id, '/media/garbage.mp4'));
      case 'answer-garbage':
        return json(res, 200, '<html>not json');
      case 'answer-invalid':
        return json(res, 200, { id, name: 'no preview', mediaType: 'video' });
      case 'answer-500':
        return json(res, 500, { error: 'boom' });
      case 'private-preview':
        return json(res, 200, { ...entry(id, '/x.mp4'), previewUrl: 'http://10.0.0.7/x.mp4' });
      case 'answer-slow':
        return; // never answers
      default:
        return json(res, 404, { error: 'unknown' });
    }
  });
  developer.routes.set('/media/', async (req, res) => {
    const path = new URL(req.url!, developer.url).pathname;
    seen.previews.push(path);
    if (path === '/media/trickle/clip.mp4') {
      // A slow CDN: the file in ten pieces over about a second and a half.
      const bytes = await fs.readFile(clipFile);
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
      const piece = Math.ceil(bytes.length / 10);
      for (let at = 0; at < bytes.length; at += piece) {
        res.write(bytes.subarray(at, at + piece));
        await pause(150);
      }
      return void res.end();
    }
    if (path === '/media/fail.mp4') return void res.writeHead(500).end('upstream down');
    if (path === '/media/stall.mp4') {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 1_000_000 });
      return void res.write(Buffer.alloc(1000));
    }
    if (path === '/media/loop') return void res.writeHead(302, { location: '/media/loop' }).end();
    if (path === '/media/garbage.mp4') return void res.writeHead(200, { 'content-type': 'video/mp4' }).end('this is not a video file\n'.repeat(50));
    res.writeHead(404).end();
  });
  return seen;
}

async function developerUser(server: TestServer, apiKey: string, apiAuthToken: string): Promise<{ id: string; api: ApiClient; editor: EditorConnection }> {
  const id = (await server.api().post('/api/users', { apiKey, apiAuthToken, data: `data of ${apiAuthToken}` })).body.id;
  const editor = await connectEditor(server.wsUrl, { sessionId: id });
  return { id, api: server.api(editor.authToken), editor };
}

describe('editing tasks for a developer: custom media, output bucket, callbacks', () => {
  let server: TestServer;
  let developer: DeveloperServer;
  let s3: TestS3Server;
  let seen: ReturnType<typeof catalogue>;
  let user: Awaited<ReturnType<typeof developerUser>>;

  beforeAll(async () => {
    developer = await new DeveloperServer().start();
    seen = catalogue(developer, await smallMp4(4));
    s3 = await startS3Server();
    server = await startTestServer('postgres', env);
    const account = await server.api('test-admin-token').post('/api/developers', {
      name: 'Acme',
      callBackUrl: developer.callbackUrl,
      fetchFileUrl: `${developer.url}/files`,
    });
    user = await developerUser(server, account.body.apiKey, 'acme-token');
  });
  afterAll(async () => {
    await user?.editor.close();
    await server?.destroy();
    await developer?.close();
    await s3?.stop();
  });

  const counts = async () => {
    const { db } = server.controlPlane.database;
    const [tasks, media] = await Promise.all([
      db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('kind', '=', 'render')
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('media')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { tasks: Number(tasks.n), media: Number(media.n) };
  };
  const callbacksOf = (type: string) => developer.delivered().filter((c) => c.body.type === type);

  it("renders the developer's media: fetched through fetchFileUrl, downloaded once (status downloading), called back", async () => {
    developer.callbacks.length = 0;
    const document = xtl(`<group><track>${clip('dev-clip', '00:00:00:00', '00:00:01:00')}${clip('dev-clip', '00:00:02:00', '00:00:03:00')}</track></group>`);
    const created = await user.api.post('/api/task/editing', { xtl_task: document });
    expect(created.status, created.text).toBe(200);
    expect(seen.fetchFile.filter((r) => r.id === 'dev-clip').every((r) => r.authorization === 'acme-token')).toBe(true);

    const { last, statuses } = await followEditing(user.api, created.body.taskId);
    expect(last.status, JSON.stringify(last.error)).toBe('completed');
    expect(statuses.indexOf('downloading')).toBeGreaterThanOrEqual(0);
    expect(statuses.indexOf('downloading')).toBeLessThan(statuses.indexOf('completed'));
    // Two clips, one download.
    expect(seen.previews.filter((p) => p === '/media/trickle/clip.mp4')).toHaveLength(1);
    expect(await probeOutput(await downloadUrl(last.outputUrls[0]!, 'dev.mp4'))).toMatchObject({ frames: 50, width: 320, height: 240 });

    await expect.poll(() => callbacksOf('render_complete').length, { timeout: 15_000, interval: 25 }).toBe(1);
    expect(callbacksOf('render_start')[0]!.body).toMatchObject({ apiAuthToken: 'acme-token', payload: { projectId: '' } });
    const complete = callbacksOf('render_complete')[0]!;
    expect(complete.headers.authorization).toBe(user.id);
    expect(complete.body.payload).toMatchObject({ projectId: '', error: '' });
    expect(await probeOutput(await downloadUrl(complete.body.payload.downloadUrl as string, 'callback.mp4'))).toMatchObject({ frames: 50 });
  });

  it("refuses at once, creating nothing, when the developer's fetchFileUrl fails or does not know the id", async () => {
    const before = await counts();
    const cases: Array<[string, number, string, RegExp]> = [
      ['unknown-id', 400, 'bad_request', /no media file "unknown-id".*fetchFileUrl does not know it \(404\)/],
      ['answer-500', 400, 'download_error', /fetchFileUrl answered 500/],
      ['answer-garbage', 400, 'download_error', /answered something that is not JSON/],
      ['answer-invalid', 400, 'download_error', /invalid dev_media_file_entry_object: previewUrl/],
      ['answer-slow', 400, 'download_error', /no answer within 1000 ms/],
      ['private-preview', 400, 'download_error', /previewUrl is refused: 10\.0\.0\.7 is a private, loopback or link-local address/],
    ];
    for (const [id, status, type, message] of cases) {
      // The bound only proves that a developer server that does not answer cannot hold the request.
      const res = await settlesWithin(
        user.api.post('/api/task/editing', { xtl_task: xtl(`<group><track>${clip(id, '00:00:00:00', '00:00:01:00')}</track></group>`) }),
        10_000,
        id,
      );
      expect(res.status, id).toBe(status);
      expect(res.body.errorDetail.type, id).toBe(type);
      expect(res.body.error, id).toMatch(/^XTL error at <clip>, attribute "src", line 3: /);
      expect(res.body.error, id).toMatch(message);
    }
    expect(await counts()).toEqual(before);
  });

  it('fails the render with a clear download_error when the preview cannot be had, and nothing hangs', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['preview-500', 'download_failed', /answered 500/],
      ['preview-stall', 'download_timeout', /nothing received for 1000 ms/],
      ['preview-loop', 'url_refused', /more than 5 redirects/],
      ['preview-garbage', 'unsupported_media', /not media ffmpeg can read/],
    ];
    const started = await Promise.all(
      cases.map(async ([id]) => {
        const res = await user.api.post('/api/task/editing', { xtl_task: xtl(`<group><track>${clip(id, '00:00:00:00', '00:00:01:00')}</track></group>`) });
        expect(res.status, res.text).toBe(200);
        return res.body as { taskId: string; fileId: string };
      }),
    );
    for (const [index, [id, code, message]] of cases.entries()) {
      const { last } = await followEditing(user.api, started[index]!.taskId, { timeoutMs: 30_000 });
      expect(last.status, id).toBe('error');
      expect(last.error, id).toMatchObject({ type: 'download_error', code });
      expect(last.error!.message, id).toMatch(new RegExp(`^source "${id}"`));
      expect(last.error!.message, id).toMatch(message);
      // The output entry stays in the library with the error, so the editor can show it.
      const entry = (await user.api.get(`/api/mediafiles/${started[index]!.fileId}`)).body;
      expect(entry, id).toMatchObject({ status: 'render', error: { type: 'download_error', message: last.error!.message } });
    }
    // A server error was worth a retry; a refused redirect loop was not.
    const attempts = async (i: number) => (await server.controlPlane.services.work.store.get(started[i]!.taskId))!.attempts;
    expect(await attempts(0)).toBe(2);
    expect(await attempts(2)).toBe(1);
    await expect
      .poll(() => callbacksOf('render_complete').filter((c) => c.body.payload.error !== '').length, { timeout: 15_000, interval: 25 })
      .toBeGreaterThanOrEqual(cases.length);
  });

  it("delivers outputs to the developer's bucket: outputUrls and the callback's downloadUrl point there", async () => {
    await s3.createBucket('deliveries');
    const account = await server.api('test-admin-token').post('/api/developers', {
      name: 'Bucketed',
      callBackUrl: developer.callbackUrl,
      outputS3Bucket: s3.outputBucket('deliveries'),
    });
    expect(account.status, account.text).toBe(200);
    const bucketUser = await developerUser(server, account.body.apiKey, 'bucket-token');
    const video = await storedMedia(server, bucketUser.id, {
      name: 'own.mp4',
      original: await fs.readFile(await smallMp4(4)),
      durationHns: 4e7,
      width: 320,
      height: 240,
      audioTracks: ['Track 1'],
    });
    const document = xtl(`<group output="Final cut.mp4"><track>${clip(video.id, '00:00:01:00', '00:00:02:00')}</track></group>`);
    const created = await bucketUser.api.post('/api/task/editing', { xtl_task: document });
    expect(created.status, created.text).toBe(200);
    const { taskId } = created.body;
    const { last } = await followEditing(bucketUser.api, taskId);
    expect(last.status, JSON.stringify(last.error)).toBe('completed');

    const key = `renders/${taskId}/Final_cut.mp4`;
    expect(await s3.head('deliveries', key)).toBeGreaterThan(1000);
    expect(last.outputUrls[0]!.startsWith(`${s3.endpoint}/deliveries/${key}?`)).toBe(true);
    expect(await probeOutput(await downloadUrl(last.outputUrls[0]!, 'bucket.mp4'))).toMatchObject({ frames: 25 });
    // The library has its own copy too.
    expect((await bucketUser.api.get(`/api/mediafiles/${created.body.fileId}`)).body).toMatchObject({ type: 'output', status: 'ready', name: 'Final cut.mp4' });

    await expect
      .poll(() => developer.delivered().some((c) => c.body.type === 'render_complete' && c.body.apiAuthToken === 'bucket-token'), {
        timeout: 15_000,
        interval: 25,
      })
      .toBe(true);
    const complete = developer.delivered().find((c) => c.body.type === 'render_complete' && c.body.apiAuthToken === 'bucket-token')!;
    expect(complete.body.payload.downloadUrl).toMatch(new RegExp(`^${s3.endpoint}/deliveries/${key}\\?`));
    expect(complete.body.payload.error).toBe('');

    // The bucket goes away: the next render fails with an upload_error, leaving no stored output.
    await s3.createBucket('doomed');
    expect((await server.api('test-admin-token').patch(`/api/developers/${account.body.id}`, { outputS3Bucket: s3.outputBucket('doomed') })).status).toBe(200);
    await s3.deleteBucket('doomed');
    const failing = await bucketUser.api.post('/api/task/editing', { xtl_task: document });
    const failed = await followEditing(bucketUser.api, failing.body.taskId);
    expect(failed.last.status).toBe('error');
    expect(failed.last.error).toMatchObject({ type: 'upload_error', code: 'bucket_upload_failed' });
    expect(failed.last.error!.message).toMatch(/output 0 could not be uploaded to the developer's output bucket \(.*\/doomed\/renders\/.*\): 404 NoSuchBucket/);
    const entry = (await bucketUser.api.get(`/api/mediafiles/${failing.body.fileId}`)).body;
    expect(entry.error).toMatchObject({ type: 'upload_error' });
    const left: string[] = [];
    for await (const object of server.controlPlane.services.storage.list(`media/${bucketUser.id}/${failing.body.fileId}/`)) left.push(object.key);
    expect(left).toEqual([]);
    await bucketUser.editor.close();
  });
});

describe('editing tasks asking for GPU encoding (RENDER_GPU=nvenc)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres', { ...env, RENDER_GPU: 'nvenc' });
  });
  afterAll(() => server?.destroy());

  it('renders with NVENC where the node has it, in software otherwise, and says which in the log', async () => {
    const userId = (await server.api().post('/api/users', { name: 'GPU' })).body.id;
    const editor = await connectEditor(server.wsUrl, { sessionId: userId });
    const video = await storedMedia(server, userId, {
      original: await fs.readFile(await smallMp4(4)),
      durationHns: 4e7,
      width: 320,
      height: 240,
      audioTracks: ['Track 1'],
    });
    const api = server.api(editor.authToken);
    const created = await api.post('/api/task/editing', { xtl_task: xtl(`<group><track>${clip(video.id, '00:00:00:00', '00:00:02:00')}</track></group>`) });
    const { last } = await followEditing(api, created.body.taskId);
    expect(last.status, JSON.stringify(last.error)).toBe('completed');
    const task = (await server.controlPlane.services.work.store.get(created.body.taskId))!;
    expect(task.gpu).toBe(true);
    expect(task.log).toContain('GPU encoding asked for: NVENC where the codec allows, software otherwise');
    expect(await probeOutput(await downloadUrl(last.outputUrls[0]!, 'gpu.mp4'))).toMatchObject({ frames: 50 });
    // Without a usable NVENC (no GPU on this machine) the only warning is the fall-back to software.
    const warnings = task.log.filter((line) => line.startsWith('warning:'));
    expect(warnings.every((line) => line === 'warning: h264_nvenc failed; encoding in software')).toBe(true);
    // Each fall-back to software is counted for ops.
    const metrics = (await server.api().get('/metrics')).text;
    expect(metrics).toContain(`cutroom_render_gpu_fallbacks_total ${warnings.length}`);

    // A VP9 render has no NVENC encoder: it does not ask for a GPU node at all.
    const webm = await api.post('/api/task/editing', {
      xtl_task: xtl(`<group container="webm" vcodec="vp9" acodec="opus"><track>${clip(video.id, '00:00:00:00', '00:00:01:00')}</track></group>`),
    });
    expect(webm.status, webm.text).toBe(200);
    expect((await server.controlPlane.services.work.store.get(webm.body.taskId))!.gpu).toBe(false);
    await editor.close();
  });
});
