import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchRow, Benchmark } from './support/types.js';
import { startBenchControlPlane } from './support/control-plane.js';
import { benchUser } from './support/bench-user.js';
import { cachedTestSource } from './support/test-source.js';

/**
 * A long multi-layer render through the whole system with 1, 2 and 4 local workers: a 10-minute
 * 1080p programme with a picture-in-picture layer, a colour effect and music under it, from
 * `POST /api/task/editing` to `completed`. With one worker the render is whole (segments off);
 * with more it is split into segments that the workers render side by side and that are joined
 * by stream copy. On a machine with as many cores as workers times encoder threads, the time
 * should fall near 1/N; on fewer cores the workers share them and it cannot.
 */
const bench: Benchmark = async ({ size, log }) => {
  const smoke = size === 'smoke';
  const [width, height, seconds, segmentS] = smoke ? [320, 180, 12, 2] : [1920, 1080, 600, 30];
  const source = path.join(os.tmpdir(), `cutroom-bench-segments-${width}x${height}-${seconds}s.mp4`);
  await cachedTestSource(source, { width, height, seconds, gopFrames: 50, crf: 26, audioBitrate: '128k', faststart: true }, log);
  const bytes = await fs.readFile(source);
  const rows: BenchRow[] = [];
  const times = new Map<number, number>();
  for (const workers of (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number)) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-segments-bench-'));
    const { controlPlane, stop } = await startBenchControlPlane({
      DATA_DIR: dir,
      DISPATCH_INTERVAL_MS: '50',
      WORKERS: String(workers),
      RENDER_SEGMENT_SECONDS: workers === 1 ? '0' : String(segmentS),
      RENDER_SEGMENT_MIN_SECONDS: '0',
    });
    try {
      const { userId, token } = await benchUser(controlPlane);
      const { media, storage } = controlPlane.services;
      // The source as an entry of the user's library (ingest is not what is measured here).
      const row = await media.create({
        ownerId: userId,
        name: 'programme.mp4',
        type: 'uploaded',
        filetype: 'mp4',
        mediaType: 'video',
        status: 'ready',
        sizeBytes: bytes.length,
        durationHns: seconds * 1e7,
        width,
        height,
        audioTracks: ['Track 1'],
        enforceQuota: false,
      });
      const key = media.objectKey(row, 'original', 'mp4');
      await storage.put(key, bytes);
      await media.update(row.id, { originalKey: key });

      const t = (s: number) => String(Math.round(s * 1e7));
      const document = `<timelines version="2"><timeline><group output="programme.mp4">
<track><clip src="${row.id}" start="0" stop="${t(seconds)}" timeFormat="100ns_units"><effect type="color"><param name="saturation" value="1.2"/></effect></clip></track>
<track audio="0"><clip src="${row.id}" start="${t(seconds * 0.1)}" stop="${t(seconds * 0.9)}" mstart="${t(seconds * 0.05)}" timeFormat="100ns_units">
  <param name="width" value="30%"/><param name="x" value="65%"/><param name="y" value="5%"/></clip></track>
<track video="0"><clip src="${row.id}" start="0" stop="${t(seconds)}" timeFormat="100ns_units"><param name="volume" value="0.3"/></clip></track>
</group></timeline></timelines>`;
      const api = (p: string, init: RequestInit = {}) =>
        fetch(`${controlPlane.url}${p}`, { ...init, headers: { authorization: token, 'content-type': 'application/json', ...init.headers } });
      log(`${workers} worker(s): rendering ${seconds} s of ${width}x${height}${workers > 1 ? ` in ${segmentS} s segments` : ' whole'}`);
      const started = performance.now();
      const posted = (await (await api('/api/task/editing', { method: 'POST', body: JSON.stringify({ xtl_task: document }) })).json()) as { taskId: string };
      let status: { status: string; error: unknown };
      for (;;) {
        status = (await (await api(`/api/task/editing?id=${posted.taskId}`)).json()) as typeof status;
        if (['completed', 'error', 'aborted'].includes(status.status)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const wallS = (performance.now() - started) / 1000;
      if (status.status !== 'completed') throw new Error(`render with ${workers} worker(s) ended ${status.status}: ${JSON.stringify(status.error)}`);
      const task = await controlPlane.services.work.store.get(posted.taskId);
      const segmented = task?.log.find((line) => line.startsWith('segmented render')) ?? 'whole';
      const parts = await controlPlane.database.db.selectFrom('tasks').selectAll().where('parent_id', '=', posted.taskId).execute();
      for (const part of parts) {
        const spec = part.spec as { part?: string; window?: { startFrame: number; endFrame: number } };
        const at = (d: Date | null) => (d ? ((d.getTime() - task!.created_at.getTime()) / 1000).toFixed(2) : '-');
        log(
          `  ${spec.part} ${spec.window ? `${spec.window.startFrame}-${spec.window.endFrame}` : ''}: started ${at(part.started_at)} s, finished ${at(part.finished_at)} s, ${part.attempts} attempt(s)`,
        );
      }
      if (parts.length > 0)
        log(
          `  join: started ${((task!.started_at!.getTime() - task!.created_at.getTime()) / 1000).toFixed(2)} s, finished ${((task!.finished_at!.getTime() - task!.created_at.getTime()) / 1000).toFixed(2)} s`,
        );
      times.set(workers, wallS);
      rows.push({
        benchmark: 'render-segments',
        metric: `${workers} worker(s)`,
        value: wallS,
        unit: 's',
        note: `${seconds} s ${width}x${height}, 3 layers; ${segmented}`,
      });
    } finally {
      await stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  const cores = os.availableParallelism();
  for (const workers of [2, 4]) {
    if (!times.has(1) || !times.has(workers)) continue;
    rows.push({
      benchmark: 'render-segments',
      metric: `speed-up, ${workers} workers`,
      value: times.get(1)! / times.get(workers)!,
      unit: 'x',
      note: `${cores} cores here; near ${workers} where cores allow`,
    });
  }
  return rows;
};
export default bench;
