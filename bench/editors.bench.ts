import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import WebSocket from 'ws';
import pg from 'pg';
import type { Benchmark, BenchRow } from './support/types.js';
import { startControlPlaneProcess } from './support/control-plane.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * 50 simulated editors against one control plane (its own process, loopback only): each holds
 * its presence socket (answering pings), autosaves a 200 kB project every 5 s, posts an action
 * every 2 s, scrolls the timeline (a strip of 20 prepared thumbnails) every second, lists its
 * library every 5 s, sends an upload chunk (256 kB) every 5 s, and some render. The request
 * mix is driven by autocannon at those rates per editor, one instance per endpoint so each gets
 * its own p50/p99. Reported: throughput, latency per endpoint, errors (any is a failure), and
 * the control plane's memory and open descriptors before, during and after. The soak repeats
 * the mix for a few minutes and compares the first and last samples.
 */

interface Editor {
  token: string;
  projectId: string;
  uploadId: string;
  socket: WebSocket;
}

const bench: Benchmark = async ({ size, log }) => {
  const editorsCount = size === 'smoke' ? 5 : 50;
  const durationS = size === 'smoke' ? 4 : 60;
  const soakS = size === 'smoke' ? 0 : 180;
  const renders = size === 'smoke' ? 1 : 5;
  const mediaDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-editors-bench-'));
  await run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=640x360:r=25:d=20',
    '-f',
    'lavfi',
    '-i',
    'sine=d=20',
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
    '-y',
    path.join(mediaDir, 'shared.mp4'),
  ]);
  const cp = await startControlPlaneProcess({
    TEST_MEDIA_DIR: mediaDir,
    WORKERS: '2',
    DISPATCH_INTERVAL_MS: '200',
    WS_PING_INTERVAL_MS: '5000',
    TOKEN_GRACE_SECONDS: '600',
  });
  const editors: Editor[] = [];
  const rows: BenchRow[] = [];
  const db = new pg.Client({ connectionString: cp.databaseUrl });
  await db.connect();
  try {
    const usage = async () => {
      const status = await fs.readFile(`/proc/${cp.pid}/status`, 'utf8');
      return { rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, fds: (await fs.readdir(`/proc/${cp.pid}/fd`)).length };
    };
    const call = async (token: string | undefined, method: string, p: string, body?: unknown) => {
      const res = await fetch(`${cp.url}${p}`, {
        method,
        headers: { ...(token ? { authorization: token } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : {};
    };

    log(`${editorsCount} editors sign in`);
    for (let i = 0; i < editorsCount; i++) {
      const { id } = await call(undefined, 'POST', '/api/users', { name: `editor ${i}` });
      const token = randomUUID();
      const socket = new WebSocket(`${cp.url.replace('http', 'ws')}/websocket`);
      await new Promise<void>((resolve, reject) => {
        socket.on('open', () => socket.send(JSON.stringify({ type: 'user_event', payload: { authToken: token, sessionId: id } })));
        socket.on('message', (data) => {
          const message = JSON.parse(String(data));
          if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
          if (message.type === 'user_bound') resolve();
          if (message.type === 'error') reject(new Error(JSON.stringify(message)));
        });
        socket.on('error', reject);
      });
      const { id: projectId } = await call(token, 'POST', '/api/projects', { name: `project ${i}` });
      const { id: uploadId } = await call(token, 'POST', '/api/upload/media', { size: 4 * 2 ** 20, name: `take-${i}.mp4` });
      editors.push({ token, projectId, uploadId, socket });
    }
    const shared = await (async () => {
      for (let i = 0; i < 600; i++) {
        const list = await call(editors[0]!.token, 'GET', '/api/mediafiles?filter=video');
        const entry = list.entries.find(
          (e: { type: string; status: string; progress: number }) => e.type === 'test' && e.status === 'ready' && e.progress === 100,
        );
        // Its thumbnail pack is made by ingest after the entry is listed: scrolls read the pack.
        const packed = entry && (await db.query('select thumbnails_key from media where id = $1', [entry.id])).rows[0]?.thumbnails_key;
        if (packed) return entry.id as string;
        await sleep(200);
      }
      throw new Error('the shared test media was not ready in time');
    })();

    const project = JSON.stringify({
      data: {
        tracks: Array.from({ length: 400 }, (_, i) => ({
          id: `clip-${i}`,
          src: shared,
          start: i * 1e7,
          stop: (i + 1) * 1e7,
          effects: [{ type: 'fade', text: 'x'.repeat(300) }],
        })),
      },
    });
    const chunk = Buffer.alloc(256 * 1024, 7);
    let nextEditor = 0;
    const asEditor = (context: Record<string, any>): Editor => (context.editor ??= editors[nextEditor++ % editors.length]!);
    const endpoints: Array<{
      name: string;
      perSecond: number;
      request: (e: Editor) => { method: string; path: string; body?: string | Buffer; headers?: Record<string, string> };
    }> = [
      {
        name: 'PATCH /api/projects/{id} (autosave, 200 kB)',
        perSecond: 0.2,
        request: (e) => ({ method: 'PATCH', path: `/api/projects/${e.projectId}`, body: project, headers: { 'content-type': 'application/json' } }),
      },
      {
        name: 'POST /api/actions',
        perSecond: 0.5,
        request: (e) => ({
          method: 'POST',
          path: '/api/actions',
          body: JSON.stringify({ project: e.projectId, name: 'trim', data: { at: Date.now() } }),
          headers: { 'content-type': 'application/json' },
        }),
      },
      {
        name: 'GET /api/clip_thumbnails (20, cached)',
        perSecond: 1,
        request: () => ({
          method: 'GET',
          path: `/api/clip_thumbnails?id=${shared}&start_time=${Math.floor(Math.random() * 15) * 1e7}&step=5000000&count=20&cached=true`,
        }),
      },
      { name: 'GET /api/mediafiles', perSecond: 0.2, request: () => ({ method: 'GET', path: '/api/mediafiles?count=50' }) },
      {
        name: 'PUT /api/upload/media (256 kB chunk)',
        perSecond: 0.2,
        request: (e) => ({
          method: 'PUT',
          path: `/api/upload/media?id=${e.uploadId}`,
          body: chunk,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes 0-${chunk.length - 1}/${4 * 2 ** 20}` },
        }),
      },
    ];

    const mix = async (seconds: number) => {
      const renderRuns = Array.from({ length: seconds > 10 || size === 'smoke' ? renders : 0 }, async (_, i) => {
        const editor = editors[(i * 7) % editors.length]!;
        const started = Date.now();
        const xtl = `<timelines version="2"><timeline><group output="r${i}.mp4"><track><clip src="${shared}" start="00:00:0${i % 5}:00" stop="00:00:0${(i % 5) + 2}:00" timeFormat="time10ms"/></track></group></timeline></timelines>`;
        const { taskId } = await call(editor.token, 'POST', '/api/task/editing', { xtl_task: xtl });
        for (let polls = 0; polls < 600; polls++) {
          const task = await call(editor.token, 'GET', `/api/task/editing?id=${taskId}`);
          if (task.status === 'completed') return Date.now() - started;
          if (task.status === 'error' || task.status === 'aborted') throw new Error(`render ${taskId}: ${JSON.stringify(task.error)}`);
          await sleep(500);
        }
        throw new Error(`render ${taskId} did not finish in 5 minutes`);
      });
      // Settled whatever happens, so a failing mix never leaves a render loop polling a stopped server.
      const rendersSettled = Promise.allSettled(renderRuns);
      const results = await Promise.all(
        endpoints.map((endpoint) =>
          autocannon({
            url: cp.url,
            connections: editors.length,
            overallRate: Math.max(1, Math.round(endpoint.perSecond * editors.length)),
            duration: seconds,
            // An editor's browser waits longer than autocannon's 10 s default before giving up.
            timeout: 30,
            requests: [
              {
                setupRequest: (request: any, context: any) => {
                  const editor = asEditor(context);
                  const made = endpoint.request(editor);
                  return { ...request, ...made, headers: { ...made.headers, authorization: editor.token } };
                },
              },
            ],
          } as autocannon.Options),
        ),
      );
      const settled = await rendersSettled;
      const failed = settled.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      if (failed.length > 0) throw new Error(`renders failed: ${failed.join('; ')}`);
      const renderMs = settled.map((r) => (r as PromiseFulfilledResult<number>).value);
      return { results, renderMs };
    };

    const before = await usage();
    log(`mix for ${durationS} s`);
    const { results, renderMs } = await mix(durationS);
    const after = await usage();
    let errors = 0;
    for (const [i, result] of results.entries()) {
      const failed = result.errors + result.timeouts + result.non2xx;
      errors += failed;
      const name = endpoints[i]!.name;
      if (failed > 0)
        log(
          `${name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, statuses ${JSON.stringify((result as any).statusCodeStats)}`,
        );
      rows.push({ benchmark: 'editors', metric: `${name} p50`, value: result.latency.p50, unit: 'ms' });
      rows.push({
        benchmark: 'editors',
        metric: `${name} p99`,
        value: result.latency.p99,
        unit: 'ms',
        note: `${result.requests.total} requests, ${failed} failed`,
      });
    }
    const total = results.reduce((sum, r) => sum + r.requests.total, 0);
    rows.push({
      benchmark: 'editors',
      metric: 'throughput',
      value: total / durationS,
      unit: 'req/s',
      note: `${editors.length} editors, ${durationS} s, at editor rates (not the maximum)`,
    });
    rows.push({ benchmark: 'editors', metric: 'errors', value: errors, unit: 'count', note: 'must be 0' });
    if (renderMs.length > 0)
      rows.push({
        benchmark: 'editors',
        metric: 'render under load (2 s clip)',
        value: Math.max(...renderMs) / 1000,
        unit: 's',
        note: `slowest of ${renderMs.length}, WORKERS=2`,
      });
    rows.push({
      benchmark: 'editors',
      metric: 'control plane RSS before → after',
      value: after.rssMiB,
      unit: 'MiB',
      note: `before ${before.rssMiB.toFixed(0)} MiB`,
    });
    rows.push({ benchmark: 'editors', metric: 'control plane fds before → after', value: after.fds, unit: 'count', note: `before ${before.fds}` });
    if (errors > 0) {
      for (const row of rows) log(`${row.metric}: ${row.value} ${row.unit} ${row.note ?? ''}`);
      throw new Error(`${errors} requests failed under load`);
    }

    if (soakS > 0) {
      log(`soak for ${soakS} s`);
      const samples: Array<{ rssMiB: number; fds: number }> = [await usage()];
      let soaking = true;
      const sampler = (async () => {
        while (soaking) {
          await sleep(15_000);
          samples.push(await usage());
        }
      })();
      const soak = await mix(soakS);
      soaking = false;
      await sampler;
      await sleep(5000);
      samples.push(await usage());
      const soakErrors = soak.results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0);
      const first = samples[0]!;
      const last = samples.at(-1)!;
      rows.push({
        benchmark: 'editors soak',
        metric: 'duration',
        value: soakS,
        unit: 's',
        note: `${soak.results.reduce((s, r) => s + r.requests.total, 0)} requests, ${soakErrors} failed`,
      });
      rows.push({
        benchmark: 'editors soak',
        metric: 'RSS first → last sample',
        value: last.rssMiB,
        unit: 'MiB',
        note: `first ${first.rssMiB.toFixed(0)}, peak ${Math.max(...samples.map((s) => s.rssMiB)).toFixed(0)} MiB, ${samples.length} samples`,
      });
      rows.push({
        benchmark: 'editors soak',
        metric: 'fds first → last sample',
        value: last.fds,
        unit: 'count',
        note: `first ${first.fds}, peak ${Math.max(...samples.map((s) => s.fds))}`,
      });
      if (soakErrors > 0) throw new Error(`${soakErrors} requests failed in the soak`);
    }
    return rows;
  } finally {
    for (const editor of editors) editor.socket.close();
    await db.end();
    await cp.stop();
    await fs.rm(mediaDir, { recursive: true, force: true });
  }
};
export default bench;
