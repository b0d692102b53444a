import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXtl, probeMediaInfo, renderTimeline } from '@cutroom/render-node';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';
import { makeMedia } from '../support/media.js';
import { downloadUrl, followEditing } from '../support/editing.js';
import { decodeMono, samplesPerSecond, tonePower } from '../support/audio-analysis.js';
import type { StoredRenderSpec } from '../../control-plane/src/services/rendering/render-task-spec.js';
import type { TaskRecord } from '../../control-plane/src/work/task-store.js';
import type { LocalDispatcher } from '../../control-plane/src/work/local-dispatcher.js';

/**
 * Segmented renders with two local workers: a long timeline's picture is rendered in windows by
 * separate render tasks at the same time, joined by stream copy with the sound rendered once.
 * Every frame is checked against a render of the same timeline on one node, and the sound
 * through the joins.
 */

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const env = {
  WORKERS: '2',
  DISPATCH_INTERVAL_MS: '100',
  WATCHDOG_INTERVAL_MS: '200',
  TASK_HEARTBEAT_INTERVAL_S: '1',
  // Generous: several render nodes share this machine's cores with everything else.
  TASK_HEARTBEAT_TIMEOUT_S: '30',
  MAX_ATTEMPTS: '3',
  RENDER_SEGMENT_SECONDS: '2',
  RENDER_SEGMENT_MIN_SECONDS: '0',
};

const DURATION_S = 7;

/** A moving picture with a continuous 440 Hz tone, 25 fps. */
const programme = () =>
  makeMedia('programme.mp4', [
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=320x240:rate=25:duration=${DURATION_S}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${DURATION_S}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '50',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
  ]);
/** A second picture for an upper layer, without sound. */
const camera = () =>
  makeMedia('camera.mp4', [
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=160x120:rate=25:duration=6',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '25',
    '-pix_fmt',
    'yuv420p',
  ]);

/** Two layers, lossless so that every decoded frame of the two renders can be compared bit for bit. */
function timeline(programmeSrc: string, cameraSrc: string): string {
  return `<timelines version="2"><timeline>
<group width="320" height="240" quality="lossless">
  <track>
    <clip src="${programmeSrc}" start="00:00:00:00" stop="00:00:0${DURATION_S}:00" timeFormat="time10ms"/>
  </track>
  <track audio="0">
    <clip src="${cameraSrc}" start="00:00:00:50" stop="00:00:05:00" mstart="00:00:01:00" mstop="00:00:05:50" timeFormat="time10ms">
      <param name="width" value="40%"/><param name="x" value="55%"/><param name="y" value="5%"/>
      <param name="videofadein" value="00:00:00:40"/>
    </clip>
  </track>
</group></timeline></timelines>`;
}

/** The MD5 of every decoded picture, in order. */
async function frameHashes(file: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-'], { maxBuffer: 64 * 2 ** 20 });
  return stdout
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim());
}

/** The same timeline rendered on one node, by the engine directly, from the same files. */
async function oneNodeRender(xtl: string, files: Record<string, string>): Promise<string> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-whole-'));
  const result = await renderTimeline({
    timeline: parseXtl(xtl),
    resolveSource: async (src) => ({ input: files[src]!, probe: await probeMediaInfo(files[src]!) }),
    workDir,
  });
  return result.outputs[0]!.path;
}

describe('segmented renders with local workers', () => {
  let server: TestServer;
  let user: TestUser;
  let files: Record<string, string>;
  let xtl: string;

  beforeAll(async () => {
    server = await startTestServer('postgres', env);
    user = await signedInUser(server, 'Editor');
    const [programmeFile, cameraFile] = await Promise.all([programme(), camera()]);
    const stored = async (file: string, name: string, durationS: number, audio: boolean) =>
      storedMedia(server, user.id, {
        name,
        original: await fs.readFile(file),
        durationHns: durationS * 1e7,
        width: 320,
        height: 240,
        audioTracks: audio ? ['Track 1'] : [],
      });
    const main = await stored(programmeFile, 'programme.mp4', DURATION_S, true);
    const cam = await stored(cameraFile, 'camera.mp4', 6, false);
    files = { [main.id]: programmeFile, [cam.id]: cameraFile };
    xtl = timeline(main.id, cam.id);
  });
  afterAll(async () => {
    await user?.editor.close();
    await server?.destroy();
  });

  const partsOf = async (id: string): Promise<TaskRecord[]> =>
    server.controlPlane.database.db.selectFrom('tasks').selectAll().where('parent_id', '=', id).orderBy('created_at').orderBy('id').execute();

  it('renders the windows side by side and joins them into the frames of a one-node render, the tone unbroken', async () => {
    const created = await user.api.post('/api/task/editing', { xtl_task: xtl });
    expect(created.status).toBe(200);
    const { taskId, fileId } = created.body;
    const [followed, whole] = await Promise.all([followEditing(user.api, taskId, { timeoutMs: 180_000 }), oneNodeRender(xtl, files)]);
    expect(followed.last.error).toBeNull();
    expect(followed.last.status).toBe('completed');
    // Progress of the render gathers its parts' and never goes back.
    expect(followed.progressSeen).toEqual([...followed.progressSeen].sort((a, b) => a - b));
    expect(followed.progressSeen.some((p) => p > 0 && p < 100)).toBe(true);

    // Each part was a render task of its own; two ran at once.
    const task = (await server.controlPlane.services.work.store.get(taskId))!;
    const spec = task.spec as unknown as StoredRenderSpec;
    const windows = spec.segments!.parts.filter((p) => p.part === 'picture').map((p) => p.window!);
    expect(windows.length).toBeGreaterThanOrEqual(3);
    const parts = await partsOf(taskId);
    expect(parts.map((p) => p.kind)).toEqual(parts.map(() => 'render'));
    expect(parts.map((p) => p.state)).toEqual(parts.map(() => 'completed'));
    expect(parts).toHaveLength(windows.length + 1);
    const overlapping = parts.some((a) => parts.some((b) => a !== b && a.started_at! < b.finished_at! && b.started_at! < a.finished_at!));
    expect(overlapping).toBe(true);
    // The segments were removed once the output was whole.
    const left: string[] = [];
    for await (const object of server.controlPlane.services.storage.list(`segments/${taskId}/`)) left.push(object.key);
    expect(left).toEqual([]);

    // The output, as a whole render's: the entry, one link, one callback.
    const entry = (await user.api.get(`/api/mediafiles/${fileId}`)).body;
    expect(entry.status).toBe('ready');
    const output = await downloadUrl(followed.last.outputUrls[0]!, 'segmented.mp4');
    const events = await server.controlPlane.database.db.selectFrom('domain_events').select(['type', 'payload']).where('user_id', '=', user.id).execute();
    expect(events.filter((e) => e.type === 'render_complete')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'render_start')).toHaveLength(1);

    // Every frame, bit for bit.
    const [segmented, reference] = await Promise.all([frameHashes(output), frameHashes(whole)]);
    expect(reference).toHaveLength(DURATION_S * 25);
    expect(segmented).toHaveLength(reference.length);
    const differing = segmented.flatMap((hash, i) => (hash === reference[i] ? [] : [i]));
    expect(differing).toEqual([]);

    // The sound: as long, and the tone at full power through every join.
    const [sound, referenceSound] = await Promise.all([decodeMono(output), decodeMono(whole)]);
    expect(Math.abs(sound.length - referenceSound.length)).toBeLessThanOrEqual(1);
    const fullPower = tonePower(sound, 440, samplesPerSecond, 2 * samplesPerSecond);
    for (const { startFrame } of windows.slice(1)) {
      const at = Math.round((startFrame / 25) * samplesPerSecond);
      for (let from = at - 400; from < at + 400; from += 80) {
        expect(tonePower(sound, 440, from, from + 160)).toBeGreaterThan(fullPower * 0.8);
      }
    }
    const { stderr } = await run('ffmpeg', ['-v', 'info', '-i', output, '-map', '0:a:0', '-af', 'silencedetect=noise=-40dB:d=0.005', '-f', 'null', '-']);
    // Silence only where the tone itself ends (the encoder's last frame runs past it).
    const silences = [...stderr.matchAll(/silence_start: ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(silences.filter((s) => s < DURATION_S - 0.05)).toEqual([]);
  }, 240_000);

  it('retries a part whose render node is killed, and still ends with every frame', async () => {
    const created = await user.api.post('/api/task/editing', { xtl_task: xtl });
    const { taskId } = created.body;
    const dispatcher = server.controlPlane.services.dispatcher as LocalDispatcher;
    let killed: TaskRecord | undefined;
    const deadline = Date.now() + 60_000;
    while (!killed && Date.now() < deadline) {
      const running = (await partsOf(taskId)).find((p) => p.state === 'running' && p.progress > 0 && dispatcher.pidOf(p.id) !== undefined);
      if (running) {
        process.kill(dispatcher.pidOf(running.id)!, 'SIGKILL');
        killed = running;
      } else await sleep(50);
    }
    expect(killed).toBeDefined();
    const [{ last }, whole] = await Promise.all([followEditing(user.api, taskId, { timeoutMs: 180_000 }), oneNodeRender(xtl, files)]);
    expect(last).toMatchObject({ status: 'completed', error: null });
    const retried = (await server.controlPlane.services.work.store.get(killed!.id))!;
    expect(retried.state).toBe('completed');
    expect(retried.attempts).toBeGreaterThanOrEqual(2);
    expect(retried.log.some((line) => /attempt 1 failed \(worker_lost/.test(line))).toBe(true);
    const output = await downloadUrl(last.outputUrls[0]!, 'retried.mp4');
    expect(await frameHashes(output)).toEqual(await frameHashes(whole));
  }, 240_000);

  it('fails as a whole render fails when a part fails for good, stopping the other parts', async () => {
    const created = await user.api.post('/api/task/editing', { xtl_task: xtl });
    const { taskId, fileId } = created.body;
    // The sources' bytes vanish under the parts: they cannot read them, and no retry helps.
    const { media, storage } = server.controlPlane.services;
    const originals = await Promise.all(Object.keys(files).map(async (id) => (await media.find(id))!.original_key!));
    const kept = await Promise.all(
      originals.map(async (key) => {
        const chunks: Buffer[] = [];
        for await (const chunk of (await storage.get(key)).body) chunks.push(chunk as Buffer);
        return [key, Buffer.concat(chunks)] as const;
      }),
    );
    try {
      await Promise.all(originals.map((key) => storage.delete(key)));
      const { last } = await followEditing(user.api, taskId, { timeoutMs: 120_000 });
      expect(last.status).toBe('error');
      expect(last.error).toMatchObject({ type: 'engine_error', code: 'source_unreadable' });
      expect(last.error!.message).toMatch(/^a segment failed: /);
      // The other parts are stopped right after.
      let parts = await partsOf(taskId);
      for (
        const until = Date.now() + 15_000;
        parts.some((p) => p.state !== 'error' && p.state !== 'aborted') && Date.now() < until;
        parts = await partsOf(taskId)
      )
        await sleep(100);
      expect(parts.some((p) => p.state === 'error')).toBe(true);
      expect(parts.map((p) => p.state).filter((state) => state !== 'error' && state !== 'aborted')).toEqual([]);
      // The render's entry carries the error; one callback says so.
      const entry = (await user.api.get(`/api/mediafiles/${fileId}`)).body;
      expect(entry.error).toMatchObject({ title: 'Render failed' });
      const events = await server.controlPlane.database.db
        .selectFrom('domain_events')
        .select(['type', 'payload'])
        .where('user_id', '=', user.id)
        .where('type', '=', 'render_complete')
        .execute();
      expect(events.filter((e) => JSON.stringify(e.payload).includes('a segment failed'))).toHaveLength(1);
      const left: string[] = [];
      for await (const object of storage.list(`segments/${taskId}/`)) left.push(object.key);
      expect(left).toEqual([]);
    } finally {
      for (const [key, bytes] of kept) await storage.put(key, bytes);
    }
  }, 180_000);

  it('aborts its parts with it and leaves no segment behind', async () => {
    const created = await user.api.post('/api/task/editing', { xtl_task: xtl });
    const { taskId } = created.body;
    // Wait until a part is at work.
    const deadline = Date.now() + 60_000;
    while (!(await partsOf(taskId)).some((p) => p.state === 'running' && p.progress > 0) && Date.now() < deadline) await sleep(50);
    // One render for /api/stat, however many parts run for it.
    expect((await user.api.get('/api/stat')).body.activeRenderTasksCount).toBe(1);
    expect((await user.api.delete(`/api/task/editing?id=${taskId}`)).status).toBe(200);
    const { last } = await followEditing(user.api, taskId, { timeoutMs: 10_000 });
    expect(last.status).toBe('aborted');
    const parts = await partsOf(taskId);
    expect(parts.every((p) => p.state === 'aborted' || p.state === 'completed')).toBe(true);
    expect(parts.some((p) => p.state === 'aborted')).toBe(true);
    // Their render nodes stop within seconds (one launched as the abort came in stops at its first call).
    const workersOfParts = () => server.controlPlane.services.dispatcher.describe().workers.filter((w) => parts.some((p) => p.id === w.taskId));
    for (const until = Date.now() + 10_000; workersOfParts().length > 0 && Date.now() < until;) await sleep(100);
    expect(workersOfParts()).toEqual([]);
    const left: string[] = [];
    for await (const object of server.controlPlane.services.storage.list(`segments/${taskId}/`)) left.push(object.key);
    expect(left).toEqual([]);
    // A part is no editing task of its own.
    expect((await user.api.get(`/api/task/editing?id=${parts[0]!.id}`)).status).toBe(404);
  }, 120_000);
});
