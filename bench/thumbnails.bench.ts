import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Benchmark } from './support/types.js';
import { expectOk } from './support/load.js';
import { startControlPlaneProcess } from './support/control-plane.js';
import { benchUserAt } from './support/bench-user.js';
import { getLoad } from './support/get-load.js';
import { serverMetrics, serverShare, type ServerMetrics } from './support/server-metrics.js';

const run = promisify(execFile);

/**
 * Timeline thumbnails of an ingested 1080p H.264 file (2 s GOP): a strip of 20 from the
 * prepared pack (`cached=true`), and single exact frames extracted now (`cached=false`) at
 * random times. The file goes through the real upload and ingest first. The control plane runs
 * in a process of its own, as in production, and the client in a thread of its own (getLoad):
 * each latency is from the request's start to the last byte of its answer, as an editor sees
 * it. A client in the benchmark's main thread (fetch, or node:http) counted pauses of its own:
 * receiving 400 kB answers made V8 run full collections of that thread's heap (tsx and the
 * control plane's modules) several times per 300 strips, each pause counted as the strip's
 * latency. The server's own share is printed beside, from its /metrics: the bucket
 * under which it answered 99 % of the strips (from its first middleware to the answer's end),
 * and its full garbage collections meanwhile.
 */
const bench: Benchmark = async ({ size, log }) => {
  const [width, height, durationS] = size === 'smoke' ? [320, 180, 4] : [1920, 1080, 60];
  const source = path.join(os.tmpdir(), `cutroom-bench-${width}x${height}-${durationS}s.mp4`);
  if (!(await fs.stat(source).catch(() => undefined))) {
    log(`making a ${width}x${height} ${durationS} s H.264 source`);
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=${width}x${height}:r=25:d=${durationS}`,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '50',
      '-pix_fmt',
      'yuv420p',
      '-y',
      source,
    ]);
  }
  const controlPlane = await startControlPlaneProcess({ DISPATCH_INTERVAL_MS: '100' });
  try {
    const { token } = await benchUserAt(controlPlane.databaseUrl);
    const api = (p: string, init: RequestInit = {}) => fetch(`${controlPlane.url}${p}`, { ...init, headers: { authorization: token, ...init.headers } });
    const bytes = await fs.readFile(source);
    const { id } = (await (
      await api('/api/upload/media', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: bytes.length, name: 'bench.mp4' }),
      })
    ).json()) as { id: string };
    await expectOk(
      await api(`/api/upload/media?id=${id}`, { method: 'PUT', headers: { 'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}` }, body: bytes }),
    );
    log('ingesting');
    for (;;) {
      const entry = (await (await api(`/api/mediafiles/${id}`)).json()) as { status: string; progress: number; error: unknown };
      if (entry.error) throw new Error(`ingest failed: ${JSON.stringify(entry.error)}`);
      if (entry.status === 'ready' && entry.progress === 100) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const durationHns = durationS * 1e7;
    const strips = size === 'smoke' ? 20 : 300;
    const stripPath = (i: number) => {
      const start = (i * 7_777_777) % (durationHns - 20 * 1e7);
      return `/api/clip_thumbnails?id=${id}&start_time=${start}&step=10000000&count=20&cached=true`;
    };
    // Each a strip of 20 thumbnails, as asked.
    const first = (await (await api(stripPath(0))).json()) as { thumbnails: Array<{ data: string }> };
    if (first.thumbnails.length !== 20 || first.thumbnails.some((t) => t.data.length === 0)) throw new Error('a cached strip is not 20 thumbnails');
    const route = '/api/clip_thumbnails';
    let before: ServerMetrics | undefined;
    const cached = await getLoad(
      {
        baseUrl: controlPlane.url,
        headers: { authorization: token },
        warmup: paths(Math.max(1, Math.floor(strips / 10)), stripPath),
        measured: paths(strips, stripPath),
        concurrency: 1,
      },
      { warmedUp: async () => void (before = await serverMetrics(controlPlane.url, route)) },
    );
    const server = serverShare(before!, await serverMetrics(controlPlane.url, route), 0.99);
    if (server.answers !== strips) throw new Error(`the server counted ${server.answers} strips, not ${strips}`);
    const singles = size === 'smoke' ? 5 : 40;
    const singlePath = (i: number) => {
      const time = Math.floor(((i * 0.6180339887) % 1) * (durationHns - 1e7));
      return `/api/clip_thumbnails?id=${id}&start_time=${time}&count=1&cached=false`;
    };
    const live = await getLoad({
      baseUrl: controlPlane.url,
      headers: { authorization: token },
      warmup: paths(Math.max(1, Math.floor(singles / 10)), singlePath),
      measured: paths(singles, singlePath),
      concurrency: 1,
    });
    return [
      { benchmark: 'thumbnails', metric: 'cached strip of 20 p50', value: cached.p50Ms, unit: 'ms', note: 'one editor scrolling (requests one after another)' },
      { benchmark: 'thumbnails', metric: 'cached strip of 20 p99', value: cached.p99Ms, unit: 'ms', note: 'target < 20 ms' },
      { benchmark: 'thumbnails', metric: "cached strip of 20 p99, server's own", value: server.underMs, unit: 'ms', note: 'at most (its /metrics bucket)' },
      { benchmark: 'thumbnails', metric: 'full GCs of the server over the strips', value: server.majorGcs, unit: 'count', note: `${strips} strips` },
      { benchmark: 'thumbnails', metric: 'uncached single p50', value: live.p50Ms, unit: 'ms', note: `${width}x${height} H.264, 2 s GOP` },
      { benchmark: 'thumbnails', metric: 'uncached single p99', value: live.p99Ms, unit: 'ms', note: 'target < 150 ms' },
    ];
  } finally {
    await controlPlane.stop();
  }
};
export default bench;

/** The paths of requests 0 to count - 1. */
const paths = (count: number, path: (i: number) => string) => Array.from({ length: count }, (_, i) => path(i));
