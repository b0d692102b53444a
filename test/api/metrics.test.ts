import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestServer, type TestServer } from '../support/server.js';
import { adminUrl } from '../support/databases.js';
import { MediaServer } from '../support/media-server.js';
import { smallMp4 } from '../support/media.js';

/** What ops alert on, read from /metrics as Prometheus would, after real work on a render node. */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('metrics', () => {
  let server: TestServer;
  let media: MediaServer;
  const scrape = async () => (await server.api().get('/metrics')).text;

  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4());
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100', METRICS_SNAPSHOT_INTERVAL_MS: '1000', DATABASE_POOL_SIZE: '7' });
  });
  afterAll(async () => {
    await server?.destroy();
    await media?.close();
  });

  it('counts task outcomes, attempts, queue wait and run time per kind, so the failure rate can be computed', async () => {
    const ownerId = (await server.api().post('/api/users', { name: 'Owner' })).body.id;
    const work = server.controlPlane.services.work;
    const good = await work.submit({ kind: 'probe', ownerId, spec: { url: `${media.url}/file/clip.mp4` } });
    const bad = await work.submit({ kind: 'probe', ownerId, spec: { url: `${media.url}/file/missing.mp4` } });
    for (const id of [good.id, bad.id]) {
      const deadline = Date.now() + 60_000;
      while (!['completed', 'error'].includes((await work.store.get(id))!.state) && Date.now() < deadline) await sleep(50);
    }
    const text = await scrape();
    expect(sample(text, 'cutroom_tasks_finished_total', { kind: 'probe', result: 'completed' })).toBe(1);
    expect(sample(text, 'cutroom_tasks_finished_total', { kind: 'probe', result: 'failed' })).toBe(1);
    expect(sample(text, 'cutroom_task_attempts_total', { kind: 'probe' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'cutroom_task_queue_wait_seconds_count', { kind: 'probe' })).toBe(2);
    expect(sample(text, 'cutroom_task_run_seconds_count', { kind: 'probe', result: 'completed' })).toBe(1);
    expect(sample(text, 'cutroom_db_pool_connections', { state: 'size' })).toBe(7);
    expect(sample(text, 'cutroom_db_pool_waiting')).toBeTypeOf('number');
    expect(sample(text, 'cutroom_callbacks_backlog')).toBe(0);
  });

  it('answers the scrape while the database is away, keeping the last values and counting the failed refresh', async () => {
    const database = new URL(server.env.DATABASE_URL!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`alter database ${database} allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [database]);
      await sleep(1100);
      const first = await server.api().get('/metrics');
      expect(first.status).toBe(200);
      await sleep(500);
      const text = (await server.api().get('/metrics')).text;
      expect(sample(text, 'cutroom_callbacks_backlog')).toBe(0);
      expect(sample(text, 'cutroom_metrics_snapshot_errors_total')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'cutroom_metrics_snapshot_age_seconds')).toBeGreaterThan(1);
    } finally {
      await admin.query(`alter database ${database} allow_connections true`);
      await admin.end();
    }
  });
});
