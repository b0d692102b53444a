import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, type TestUser } from '../support/media-factory.js';
import { chunks } from '../support/uploader.js';
import { downloadUrl, followEditing } from '../support/editing.js';
import { holdFor } from '../support/waiting.js';
import type { ApiClient, ApiResponse } from '../support/api-client.js';
import { ffmpegCli, makeTestVideo, tempDir } from '../../render-node/src/test-support/lavfi-media.js';
import { frameCount, framePsnrs, SAME_FRAME_DB, type ReferenceSegment } from '../../render-node/src/test-support/media-checks.js';
import { makeZip, rename } from '../../render-node/src/test-support/zip-files.js';

const fastWork = { DISPATCH_INTERVAL_MS: '100', WORKERS: '2' };

/** Two clips of numbered frames at 25 fps: alpha.mov whose timecode starts at 01:00:00:00, beta.mp4 without one. */
let work: { dir: string; remove: () => Promise<void> };
let alpha: string;
let beta: string;
beforeAll(async () => {
  work = await tempDir('cutroom-import-');
  const plain = await makeTestVideo(work.dir, 'alpha-plain', { durationS: 4, fps: '25', gop: 10, container: 'mov' });
  alpha = path.join(work.dir, 'alpha.mov');
  await ffmpegCli(['-i', plain, '-c', 'copy', '-timecode', '01:00:00:00', '-y', alpha]);
  beta = await makeTestVideo(work.dir, 'beta', { durationS: 4, fps: '25', gop: 10, toneHz: 660 });
});
afterAll(async () => work?.remove());

/** Five events of 25 fps: source frames of each clip, placed one after another (61 frames). */
const FIVE_EVENTS = [
  'TITLE: five events',
  'FCM: NON-DROP FRAME',
  '001  ALPHA    V     C        01:00:00:10 01:00:01:00 00:00:00:00 00:00:00:15',
  '* FROM CLIP NAME: alpha.mov',
  '002  BETA     V     C        00:00:02:00 00:00:02:10 00:00:00:15 00:00:01:00',
  '* SOURCE FILE: beta.mp4',
  '003  ALPHA    B     C        01:00:03:00 01:00:03:05 00:00:01:00 00:00:01:05',
  '004  BETA     V     C        00:00:00:00 00:00:00:20 00:00:01:05 00:00:02:00',
  '005  ALPHA    V     C        01:00:02:13 01:00:02:24 00:00:02:00 00:00:02:11',
  '',
].join('\n');

async function projectZip(edl: string, extra: Array<{ name: string; data: Buffer | string }> = []): Promise<Buffer> {
  return makeZip([
    { name: 'five events/cut.edl', data: edl },
    { name: 'five events/media/alpha.mov', data: await fs.readFile(alpha), compress: false },
    { name: 'five events/media/beta.mp4', data: await fs.readFile(beta), compress: false },
    { name: 'five events/notes.txt', data: 'not media' },
    { name: '__MACOSX/five events/._cut.edl', data: 'resource fork' },
    ...extra,
  ]);
}

function putProjectChunk(api: ApiClient, id: string, bytes: Buffer, start: number, end: number): Promise<ApiResponse> {
  return api.request('PUT', `/api/upload/project?id=${id}`, {
    raw: new Uint8Array(bytes.subarray(start, end + 1)),
    headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${end}/${bytes.length}` },
  });
}

/** Creates an import and sends the zip in chunks; answers the id and every PUT answer. */
async function uploadProject(user: TestUser, name: string, zip: Buffer, body: Record<string, unknown> = {}, chunkBytes = 256 * 1024) {
  const created = await user.api.post('/api/upload/project', { size: zip.length, name, fps: 25, createFolder: true, ...body });
  expect(created.status).toBe(200);
  const id = created.body.id as string;
  const answers: ApiResponse[] = [];
  for (const chunk of chunks(zip.length, chunkBytes)) answers.push(await putProjectChunk(user.api, id, zip, chunk.start, chunk.end));
  return { id, answers };
}

/** Polls the import until it is ready or failed; records the stages it went through. */
async function settledImport(user: TestUser, id: string, timeoutMs = 180_000) {
  const stages: string[] = [];
  const state = await vi.waitFor(
    async () => {
      const res = await user.api.get(`/api/upload/project?id=${id}`);
      expect(res.status).toBe(200);
      if (stages.at(-1) !== res.body.stage) stages.push(res.body.stage);
      if (res.body.stage !== 'ready' && !res.body.failed) throw new Error(`import ${id} still ${res.body.stage} (${res.body.progress}%) after the timeout`);
      return res.body;
    },
    { timeout: timeoutMs, interval: 50 },
  );
  return { state, stages };
}

/** What a user sees of their library and projects: to show an import left nothing behind. */
async function whatUserHas(server: TestServer, user: TestUser) {
  const root = (await user.api.get('/api/mediafiles?count=1000')).body;
  const projects = (await user.api.get('/api/projects?count=1000')).body;
  const stored: string[] = [];
  for await (const object of server.controlPlane.services.storage.list(`project-imports/${user.id}/`)) stored.push(object.key);
  for await (const object of server.controlPlane.services.storage.list(`media/${user.id}/`)) stored.push(object.key);
  return {
    entries: (root.entries as Array<{ id: string; name: string }>).map((e) => e.name).sort(),
    projects: (projects.entries ?? projects) as unknown[],
    stored,
  };
}

describe('project import: refusals', () => {
  let server: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    server = await startTestServer('postgres', { ...fastWork, PROJECT_IMPORT_MAX_RATIO: '100' });
    user = await signedInUser(server, 'refusals');
  });
  afterAll(async () => {
    await user?.editor.close();
    await server?.destroy();
  });

  it('refuses a size of 0, a bad fps, and a zip over PROJECT_IMPORT_MAX_BYTES', async () => {
    const empty = await user.api.post('/api/upload/project', { size: 0, name: 'empty.zip' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/an empty zip holds no project/);
    const oddRate = await user.api.post('/api/upload/project', { size: 10, name: 'odd.zip', fps: 27.3 });
    expect(oddRate.status).toBe(400);
    expect(oddRate.body.error.message).toMatch(/^fps: 27.3 is not a frame rate we know/);
    const huge = await user.api.post('/api/upload/project', { size: 30 * 2 ** 30, name: 'huge.zip' });
    expect(huge.status).toBe(507);
    expect(huge.body.error.type).toBe('exceeded_file_size');
  });

  const refusals: Array<[string, () => Promise<Buffer>, RegExp]> = [
    [
      'a zip with an entry that climbs out',
      async () =>
        rename(
          await makeZip([
            { name: 'cut.edl', data: FIVE_EVENTS },
            { name: 'xx/evil.mov', data: 'x' },
          ]),
          'xx/evil.mov',
          '../evil.mov',
        ),
      /^the zip holds an unsafe entry "\.\.\/evil\.mov": it climbs out of the zip with "\.\."$/,
    ],
    [
      'a zip bomb',
      async () =>
        makeZip([
          { name: 'cut.edl', data: FIVE_EVENTS },
          { name: 'alpha.mov', data: Buffer.alloc(4 * 1024 * 1024) },
        ]),
      /^alpha\.mov inflates more than 100 times its compressed size \(\d+ bytes\): a zip bomb is refused$/,
    ],
    [
      'a truncated zip',
      async () => {
        const whole = await projectZip(FIVE_EVENTS);
        return whole.subarray(0, Math.floor(whole.length * 0.7));
      },
      /^not a zip file we can read: /,
    ],
    [
      'a zip without an edit list',
      async () => makeZip([{ name: 'alpha.mov', data: await fs.readFile(alpha), compress: false }]),
      /^the zip holds no edit list/,
    ],
  ];

  it.each(refusals)('refuses %s, tells why until the session expires, and leaves nothing behind', async (_, make, message) => {
    const before = await whatUserHas(server, user);
    const { id } = await uploadProject(user, 'refused.zip', await make(), {}, 64 * 1024);
    const { state, stages } = await settledImport(user, id, 60_000);
    expect(state).toMatchObject({ failed: true, stage: 'unpack' });
    expect(state.error).toMatch(message);
    expect(stages.at(-1)).toBe('unpack');
    // Once it says failed, nothing it made is left; asked again later, it still says why.
    expect(await whatUserHas(server, user)).toEqual(before);
    expect((await user.api.get(`/api/projects/${id}`)).status).toBe(404);
    await holdFor(300); // and it still says so later
    expect((await user.api.get(`/api/upload/project?id=${id}`)).body).toMatchObject({ failed: true, error: state.error });
  });

  it('fails an EDL without fps, naming what it needs', async () => {
    const zip = await makeZip([{ name: 'cut.edl', data: FIVE_EVENTS }]);
    const { id } = await uploadProject(user, 'no-fps.zip', zip, { fps: undefined });
    const { state } = await settledImport(user, id, 60_000);
    expect(state).toMatchObject({ failed: true });
    expect(state.error).toBe('cut.edl is a CMX 3600 EDL, which does not say its frame rate: create the import with fps');
  });

  it('cancels an upload half way: the session and its bytes go', async () => {
    const zip = await projectZip(FIVE_EVENTS);
    const created = await user.api.post('/api/upload/project', { size: zip.length, name: 'half.zip', fps: 25 });
    const id = created.body.id as string;
    const first = await putProjectChunk(user.api, id, zip, 0, 99_999);
    expect(first.status).toBe(206);
    expect(first.headers.get('range')).toBe('bytes=0-99999');
    const stat = (await server.api().get('/api/stat')).body;
    expect(stat.activeImportFromLocalDriveCount).toBe(1);
    expect((await user.api.delete(`/api/upload/project?id=${id}`)).status).toBe(200);
    expect((await user.api.get(`/api/upload/project?id=${id}`)).status).toBe(404);
    expect((await whatUserHas(server, user)).stored).toEqual([]);
    expect((await server.api().get('/api/stat')).body.activeImportFromLocalDriveCount).toBe(0);
  });
});

describe('project import: over the user quota', () => {
  let server: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    server = await startTestServer('postgres', { ...fastWork, MAX_USER_BYTES: '100k' });
    user = await signedInUser(server, 'small quota');
  });
  afterAll(async () => {
    await user?.editor.close();
    await server?.destroy();
  });

  it('fails with the quota error when the media do not fit, and leaves no folder, media or bytes', async () => {
    const before = await whatUserHas(server, user);
    const { id } = await uploadProject(user, 'too-big.zip', await projectZip(FIVE_EVENTS));
    const { state } = await settledImport(user, id, 60_000);
    expect(state).toMatchObject({ failed: true, stage: 'unpack' });
    expect(state.error).toMatch(/^your media take \d+ bytes of the 102400 allowed; this file needs \d+ more$/);
    expect(await whatUserHas(server, user)).toEqual(before);
  });
});

describe('project import: sessions expire', () => {
  let server: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    server = await startTestServer('postgres', { ...fastWork, UPLOAD_SESSION_TTL_S: '2', UPLOAD_SWEEP_INTERVAL_MS: '200' });
    user = await signedInUser(server, 'expiry');
  });
  afterAll(async () => {
    await user?.editor.close();
    await server?.destroy();
  });

  const gone = (id: string) =>
    expect.poll(async () => (await user.api.get(`/api/upload/project?id=${id}`)).status, { timeout: 10_000, interval: 50 }).toBe(404);

  it('removes an upload never finished with its bytes, and forgets a refusal once it has expired', async () => {
    const zip = await projectZip(FIVE_EVENTS);
    const created = await user.api.post('/api/upload/project', { size: zip.length, name: 'left.zip', fps: 25 });
    const left = created.body.id as string;
    expect((await putProjectChunk(user.api, left, zip, 0, 9999)).status).toBe(206);
    const refused = (await uploadProject(user, 'refused.zip', await makeZip([{ name: 'notes.txt', data: 'no list' }]))).id;
    expect((await settledImport(user, refused, 60_000)).state.failed).toBe(true);
    await gone(left);
    await gone(refused);
    // The sweep removes the bytes of the upload never finished.
    await expect.poll(async () => (await whatUserHas(server, user)).stored, { timeout: 10_000, interval: 50 }).toEqual([]);
  });
});

describe('project import: an EDL project, rendered to the same cut (postgres)', () => {
  let server: TestServer;
  let user: TestUser;
  let other: TestUser;
  beforeAll(async () => {
    server = await startTestServer('postgres', fastWork);
    user = await signedInUser(server, 'editor');
    other = await signedInUser(server, 'other');
  });
  afterAll(async () => {
    await user?.editor.close();
    await other?.editor.close();
    await server?.destroy();
  });

  let projectId: string;

  it('imports a zip sent in chunks: upload, unpack, import_media, ready', async () => {
    const zip = await projectZip(FIVE_EVENTS);
    const { id, answers } = await uploadProject(user, 'five-events.zip', zip, {}, 128 * 1024);
    projectId = id;
    expect(answers.slice(0, -1).every((a) => a.status === 206)).toBe(true);
    expect(answers[0]!.headers.get('range')).toBe(`bytes=0-${128 * 1024 - 1}`);
    expect(answers.at(-1)!.status).toBe(200);
    // Another user cannot see it.
    expect((await other.api.get(`/api/upload/project?id=${id}`)).status).toBe(404);

    const { state, stages } = await settledImport(user, id);
    expect(state).toMatchObject({ stage: 'ready', progress: 100, error: '', failed: false });
    expect(stages[0]).not.toBe('ready');
    expect(stages.at(-1)).toBe('ready');

    // The media are in a folder named after the project, ready; the other files are not imported.
    const root = (await user.api.get('/api/mediafiles')).body.entries as Array<{ id: string; name: string; type: string }>;
    const folder = root.find((e) => e.type === 'folder');
    expect(folder).toMatchObject({ name: 'five-events' });
    const files = (await user.api.get(`/api/mediafiles?folder=${folder!.id}`)).body.entries as Array<{
      name: string;
      status: string;
      error: unknown;
      width: number;
    }>;
    expect(files.map((f) => [f.name, f.status, f.error, f.width]).sort()).toEqual([
      ['alpha.mov', 'ready', null, 320],
      ['beta.mp4', 'ready', null, 320],
    ]);

    // The project holds the documented timeline.
    const project = (await user.api.get(`/api/projects/${id}`)).body;
    expect(project.name).toBe('five-events');
    const timeline = typeof project.data === 'string' ? JSON.parse(project.data) : project.data;
    expect(timeline).toMatchObject({
      format: 'cutroom-timeline',
      version: 1,
      fps: '25',
      duration: 61,
      source: { format: 'cmx3600', file: 'five events/cut.edl', title: 'five events' },
    });
    const video = timeline.tracks.find((t: { name: string }) => t.name === 'V');
    expect(
      video.items.map((i: { mediaName: string; in: number; out: number; start: number; end: number }) => [i.mediaName, i.in, i.out, i.start, i.end]),
    ).toEqual([
      ['alpha.mov', 10, 25, 0, 15],
      ['beta.mp4', 50, 60, 15, 25],
      ['alpha.mov', 75, 80, 25, 30],
      ['beta.mp4', 0, 20, 30, 50],
      ['alpha.mov', 63, 74, 50, 61],
    ]);
    expect((await user.api.get(`/api/projects/${id}/mediafiles`)).body.entries.map((m: { name: string }) => m.name).sort()).toEqual(['alpha.mov', 'beta.mp4']);
  });

  it("renders the project's XTL to the same cut, every frame the one the EDL names", async () => {
    const xtlAnswer = await user.api.request('GET', `/api/projects/${projectId}/xtl`);
    expect(xtlAnswer.status).toBe(200);
    expect(xtlAnswer.headers.get('content-type')).toMatch(/^application\/xml/);
    const created = await user.api.post('/api/task/editing', { xtl_task: xtlAnswer.text, projectId });
    expect(created.status).toBe(200);
    const { last } = await followEditing(user.api, created.body.taskId, { timeoutMs: 240_000 });
    expect(last.error).toBeNull();
    expect(last.status).toBe('completed');
    const output = await downloadUrl(last.outputUrls[0]!, 'five-events.mp4');

    const reference: ReferenceSegment[] = [
      { file: alpha, firstFrame: 10, lastFrame: 24 },
      { file: beta, firstFrame: 50, lastFrame: 59 },
      { file: alpha, firstFrame: 75, lastFrame: 79 },
      { file: beta, firstFrame: 0, lastFrame: 19 },
      { file: alpha, firstFrame: 63, lastFrame: 73 },
    ];
    expect(await frameCount(output)).toBe(61);
    const psnrs = await framePsnrs(output, reference);
    expect(psnrs).toHaveLength(61);
    expect(psnrs.map((db, frame) => ({ frame, db })).filter(({ db }) => db < SAME_FRAME_DB)).toEqual([]);
    // The comparison tells neighbouring frames apart.
    const shifted = await framePsnrs(output, reference, { shift: 1 });
    expect(shifted.filter((db) => db < SAME_FRAME_DB).length).toBeGreaterThan(50);
  });

  it('keeps events without media as gaps, and names them in error', async () => {
    const edl =
      FIVE_EVENTS.replace('TITLE: five events', 'TITLE: with a gap') + '006  TAPE9    V     C        00:00:00:00 00:00:01:00 00:00:02:11 00:00:03:11\n';
    const { id } = await uploadProject(user, 'with-gap.zip', await projectZip(edl), { createFolder: false });
    const { state } = await settledImport(user, id);
    expect(state).toMatchObject({ stage: 'ready', failed: false, error: 'event 006 (V): no media file matches reel "TAPE9"' });
    const project = (await user.api.get(`/api/projects/${id}`)).body;
    const data = typeof project.data === 'string' ? JSON.parse(project.data) : project.data;
    expect(data.tracks[0].items.at(-1)).toMatchObject({ type: 'gap', event: '006', start: 61, end: 86 });
    // Without createFolder the media are at the root.
    const root = (await user.api.get('/api/mediafiles')).body.entries as Array<{ name: string; type: string }>;
    expect(
      root
        .filter((e) => e.type === 'uploaded')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['alpha.mov', 'beta.mp4']);
  });

  it('cancels a ready import: the project, its folder, media and bytes go', async () => {
    const folderBefore = ((await user.api.get('/api/mediafiles')).body.entries as Array<{ type: string }>).filter((e) => e.type === 'folder');
    expect(folderBefore).toHaveLength(1);
    expect((await user.api.delete(`/api/upload/project?id=${projectId}`)).status).toBe(200);
    expect((await user.api.get(`/api/projects/${projectId}`)).status).toBe(404);
    expect((await user.api.get(`/api/upload/project?id=${projectId}`)).status).toBe(404);
    const root = (await user.api.get('/api/mediafiles')).body.entries as Array<{ name: string; type: string }>;
    expect(root.filter((e) => e.type === 'folder')).toEqual([]);
    const stored: string[] = [];
    for await (const object of server.controlPlane.services.storage.list(`project-imports/${user.id}/${projectId}/`)) stored.push(object.key);
    expect(stored).toEqual([]);
  });
});
