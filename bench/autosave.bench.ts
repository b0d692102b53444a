import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import type { Benchmark, BenchRow } from './support/types.js';
import { load } from './support/load.js';
import { HttpSender } from './support/http-send.js';
import { startControlPlaneProcess } from './support/control-plane.js';
import { connectEditor, type EditorConnection } from '../test/support/editor-client.js';

/**
 * Autosave, the editor's hot path, on Postgres: editors PATCH their project's whole data (2 MB
 * of timeline JSON) and POST actions. An autosave follows an edit, so successive saves of a
 * project differ in one clip, as in an editor; one figure gives a save that changes every
 * clip. Three views:
 *   - alone: one editor, one request at a time (the service time);
 *   - paced: every editor autosaves every few seconds and posts an action every second, as
 *     editors do, all at once;
 *   - saturated: every editor sends its next request as soon as the last one answered.
 * Latencies are as a client sees them. The control plane runs in a process of its own, as in
 * production, but on the same cores as the clients and Postgres.
 */

const mediaId = () => randomBytes(16).toString('base64url');

/**
 * Timeline JSON of about `bytes` bytes mentioning a few dozen media ids; `take` is in every
 * clip's title, and the clip `moved` (if any) starts later.
 */
function timeline(bytes: number, take: number, mediaIds: string[], moved = -1): string {
  const clips: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const clip = JSON.stringify({
      id: `clip-${i}`,
      media: mediaIds[i % mediaIds.length],
      track: i % 6,
      start: i * 40_000_000 + (i === moved ? 1_000_000 : 0),
      duration: 40_000_000,
      effects: [{ type: 'fade', durationHns: 5_000_000 }],
      title: `Shot ${i} — take ${take}`,
    });
    clips.push(clip);
    size += clip.length + 1;
  }
  return `{"version":3,"take":${take},"clips":[${clips.join(',')}]}`;
}

interface Latencies {
  p50Ms: number;
  p99Ms: number;
}

function percentiles(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

/**
 * Each of `loops` runs `request` every `intervalMs` (staggered starts) for `durationMs`; a slow
 * answer delays that loop's next request, as an editor waits for its own save.
 */
async function paced(loops: number, intervalMs: number, durationMs: number, request: (loop: number, k: number) => Promise<void>) {
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let k = 0; ; k++) {
        const due = start + (loop / loops) * intervalMs + k * intervalMs;
        if (due - start >= durationMs) return;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const t = performance.now();
        await request(loop, k);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { ...percentiles(latencies), requests: latencies.length };
}

/** The Postgres WAL written meanwhile, in bytes (the server's, whoever wrote it). */
async function walBytes<T>(databaseUrl: string, work: () => Promise<T>): Promise<{ result: T; bytes: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const before = (await client.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!.lsn;
    const result = await work();
    const { rows } = await client.query<{ bytes: string }>('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text as bytes', [before]);
    return { result, bytes: Number(rows[0]!.bytes) };
  } finally {
    await client.end();
  }
}

const bench: Benchmark = async ({ size, log }) => {
  const smoke = size === 'smoke';
  const editorsCount = smoke ? 2 : 50;
  const dataBytes = smoke ? 64 * 1024 : 2 * 2 ** 20;
  const controlPlane = await startControlPlaneProcess();
  const http = new HttpSender(controlPlane.url);
  const stop = async () => {
    http.close();
    await controlPlane.stop();
  };
  const editors: EditorConnection[] = [];
  try {
    const sessions: Array<{ token: string; projectId: string; bodies: Buffer<ArrayBuffer>[] }> = [];
    for (let e = 0; e < editorsCount; e++) {
      const editor = await connectEditor(`${controlPlane.url.replace(/^http/, 'ws')}/websocket`);
      editors.push(editor);
      const ids = Array.from({ length: 30 }, mediaId);
      // Two versions alternate, one clip apart, so every save changes the data (the media set stays).
      const moved = 1000 + e * 97;
      const bodies = [-1, moved].map((clip) => Buffer.from(`{"data":${timeline(dataBytes, 0, ids, clip)}}`));
      const { id } = JSON.parse(await http.send('POST', '/api/projects', editor.authToken, bodies[0]!)) as { id: string };
      sessions.push({ token: editor.authToken, projectId: id, bodies });
    }
    const patch = async (editor: number, k: number) => {
      const session = sessions[editor]!;
      await http.send('PATCH', `/api/projects/${session.projectId}`, session.token, session.bodies[k % 2]!);
    };
    const post = async (editor: number, k: number) => {
      const session = sessions[editor]!;
      const action = { project: session.projectId, name: 'move', data: { clip: `clip-${k}`, toHns: k * 1000 } };
      await http.send('POST', '/api/actions', session.token, JSON.stringify(action));
    };

    const mb = (dataBytes / 2 ** 20).toFixed(2);
    const rows: BenchRow[] = [];
    const row = (metric: string, value: number, unit: string, note: string) => rows.push({ benchmark: 'autosave', metric, value, unit, note });

    log(`alone: one editor, ${mb} MB PATCHes and action POSTs one at a time`);
    const alonePatches = smoke ? 4 : 300;
    const { result: alonePatch, bytes: aloneWal } = await walBytes(controlPlane.databaseUrl, () => load((i) => patch(0, i), alonePatches, 1));
    // Saves that rewrite every clip: each of these differs from the last everywhere.
    const rewrites = [1, 2].map((take) => Buffer.from(`{"data":${timeline(dataBytes, take, [mediaId()])}}`));
    const rewriteCount = smoke ? 4 : 100;
    const { result: aloneRewrite, bytes: rewriteWal } = await walBytes(controlPlane.databaseUrl, () =>
      load((i) => http.send('PATCH', `/api/projects/${sessions[0]!.projectId}`, sessions[0]!.token, rewrites[i % 2]!).then(() => {}), rewriteCount, 1),
    );
    const alonePost = await load((i) => post(0, i), smoke ? 10 : 500, 1);
    row(`PATCH ${mb} MB p50`, alonePatch.p50Ms, 'ms', 'alone');
    row(`PATCH ${mb} MB p99`, alonePatch.p99Ms, 'ms', 'alone');
    row(`PATCH ${mb} MB p50`, aloneRewrite.p50Ms, 'ms', 'alone, every clip changed');
    row(`PATCH ${mb} MB p99`, aloneRewrite.p99Ms, 'ms', 'alone, every clip changed');
    row(`Postgres WAL per PATCH`, aloneWal / alonePatches / 1024, 'KiB', 'alone, one clip changed');
    row(`Postgres WAL per PATCH`, rewriteWal / rewriteCount / 1024, 'KiB', 'alone, every clip changed');
    row('POST action p50', alonePost.p50Ms, 'ms', 'alone');
    row('POST action p99', alonePost.p99Ms, 'ms', 'alone');

    const autosaveMs = 5000;
    const durationMs = smoke ? 1000 : 30_000;
    log(`paced: ${editorsCount} editors, autosave every ${autosaveMs / 1000} s and an action every second, for ${durationMs / 1000} s`);
    const [pacedPatch, pacedPost] = await Promise.all([paced(editorsCount, autosaveMs, durationMs, patch), paced(editorsCount, 1000, durationMs, post)]);
    // The floor under those figures: the same Postgres committing one small row per action.
    const floorPool = new pg.Pool({ connectionString: controlPlane.databaseUrl, max: 10 });
    await floorPool.query('create table bench_floor (id bigserial primary key, note text)');
    const floor = await paced(editorsCount, 1000, durationMs, async () => {
      await floorPool.query('insert into bench_floor (note) values ($1)', ['move']);
    });
    await floorPool.end();
    const pacedNote = `${editorsCount} editors, paced (${pacedPatch.requests} PATCH, ${pacedPost.requests} POST)`;
    row(`PATCH ${mb} MB p50`, pacedPatch.p50Ms, 'ms', pacedNote);
    row(`PATCH ${mb} MB p99`, pacedPatch.p99Ms, 'ms', pacedNote);
    row('POST action p50', pacedPost.p50Ms, 'ms', pacedNote);
    row('POST action p99', pacedPost.p99Ms, 'ms', pacedNote);
    row('Postgres insert p50', floor.p50Ms, 'ms', `floor: one row per action, ${editorsCount}/s, nothing else`);
    row('Postgres insert p99', floor.p99Ms, 'ms', `floor: one row per action, ${editorsCount}/s, nothing else`);

    log(`saturated: ${editorsCount} editors back to back`);
    const patches = smoke ? 8 : 600;
    const fullPatch = await load((i) => patch(i % editorsCount, Math.floor(i / editorsCount)), patches, editorsCount);
    const fullPost = await load((i) => post(i % editorsCount, i), smoke ? 20 : 5000, editorsCount);
    const saturatedNote = `${editorsCount} editors, saturated`;
    row(`PATCH ${mb} MB p50`, fullPatch.p50Ms, 'ms', saturatedNote);
    row(`PATCH ${mb} MB p99`, fullPatch.p99Ms, 'ms', saturatedNote);
    row('PATCH throughput', fullPatch.perSecond, 'req/s', saturatedNote);
    row('POST action p50', fullPost.p50Ms, 'ms', saturatedNote);
    row('POST action p99', fullPost.p99Ms, 'ms', saturatedNote);
    row('POST action throughput', fullPost.perSecond, 'req/s', saturatedNote);
    return rows;
  } finally {
    await Promise.all(editors.map((editor) => editor.close()));
    await stop();
  }
};
export default bench;
