/**
 * CPU time per `GET /api/mediafiles` request, of the control plane's process and of its Postgres
 * backends together, for reused answers ("cached") and answers listed from the database
 * ("listed": each request asks for a page not asked for lately, whose answer is not kept).
 * Throughput on a shared machine swings with what else runs; the CPU a request costs swings much
 * less, so changes to the request's path are compared by these figures. The control plane runs
 * built (`npx tsc -b`), in a process of its own; the backends are read from /proc (Linux,
 * Postgres on this machine).
 *
 *   node --import tsx bench/media-list-cpu.ts
 *
 * FILES (library size, default 2000), REQUESTS (per measurement, default 3000), ROUNDS (default 2),
 * MODE (cached, listed or both) and CONTROL_PLANE_NODE_OPTIONS (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to profile the control plane) tune it.
 */
import fs from 'node:fs/promises';
import pg from 'pg';
import { libraryRows } from './support/library-rows.js';
import { benchUserAt } from './support/bench-user.js';
import { startControlPlaneProcess } from './support/control-plane.js';

const files = Number(process.env.FILES ?? 2000);
const requests = Number(process.env.REQUESTS ?? 3000);
const rounds = Number(process.env.ROUNDS ?? 2);
const mode = process.env.MODE ?? 'both';
const concurrency = 8;
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User and system CPU ticks a process has used so far (0 for one that is gone). */
async function cpuTicks(pid: number): Promise<{ user: number; system: number }> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return { user: 0, system: 0 };
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

const controlPlane = await startControlPlaneProcess(process.env.CONTROL_PLANE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.CONTROL_PLANE_NODE_OPTIONS } : {});
const client = new pg.Client({ connectionString: controlPlane.databaseUrl });
await client.connect();
try {
  const { userId, token } = await benchUserAt(controlPlane.databaseUrl);
  for (const rows of libraryRows(userId, files)) {
    const columns = Object.keys(rows[0]!);
    const values = rows.flatMap((row) => Object.values(row));
    const tuples = rows.map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
    await client.query(`insert into media (${columns.join(', ')}) values ${tuples.join(', ')}`, values);
  }
  await client.query('analyze media');
  const headers = { authorization: token };
  const shapes = [
    '?',
    '?sort_field=name&sort_order=asc&',
    '?sort_field=size&sort_order=desc&search=clip%2012&',
    '?sort_field=duration&sort_order=asc&',
    '?sort_field=createTime&sort_order=asc&',
    '?search=clip&sort_field=name&',
  ];
  const get = async (path: string) => {
    const answer = await fetch(`${controlPlane.url}/api/mediafiles${path}`, { headers });
    if (!answer.ok) throw new Error(`${path}: HTTP ${answer.status} ${await answer.text()}`);
    await answer.arrayBuffer();
  };

  const measure = async (label: string, path: (i: number) => string) => {
    for (let i = 0; i < 300; i++) await get(path(requests + i));
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    const pids = [controlPlane.pid, ...rows.map((r) => r.pid)];
    const before = await Promise.all(pids.map(cpuTicks));
    const startedMs = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < requests; i = next++) await get(path(i));
      }),
    );
    const seconds = (performance.now() - startedMs) / 1000;
    const after = await Promise.all(pids.map(cpuTicks));
    const perRequestUs = (ticks: number) => ((ticks * TICK_MS) / requests) * 1000;
    const node = perRequestUs(after[0]!.user + after[0]!.system - before[0]!.user - before[0]!.system);
    const system = perRequestUs(after[0]!.system - before[0]!.system);
    let backends = 0;
    for (let i = 1; i < pids.length; i++) backends += after[i]!.user + after[i]!.system - before[i]!.user - before[i]!.system;
    console.log(
      `${label}: ${requests} requests, control plane ${node.toFixed(0)} us/request (system ${system.toFixed(0)}), ` +
        `postgres ${perRequestUs(backends).toFixed(0)} us/request (${pids.length - 1} backends), ${(requests / seconds).toFixed(0)} requests/s`,
    );
  };

  for (let round = 0; round < rounds; round++) {
    if (mode !== 'listed') await measure('cached', (i) => shapes[i % shapes.length]!);
    // A start number no earlier request of the run asked for: no answer to reuse.
    if (mode !== 'cached') await measure('listed', (i) => `${shapes[i % shapes.length]!}start_number=${(i * 7 + round * 13) % (files - 20)}`);
  }
} finally {
  await client.end();
  await controlPlane.stop();
}
