import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestServer, type TestServer } from '../support/server.js';
import { MediaServer } from '../support/media-server.js';
import { smallMp4 } from '../support/media.js';
import { settlesWithin } from '../support/waiting.js';

/** What ops alert on, read from /metrics as Prometheus would, after real work on a render node. */

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
      await expect.poll(async () => (await work.store.get(id))!.state, { timeout: 60_000, interval: 50 }).toMatch(/^(completed|error)$/);
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

  it('answers the scrape at once while the database does not answer, keeping the last values', async () => {
    // A table lock holds every snapshot query, as a database that has stopped answering would.
    const locker = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await locker.connect();
    try {
      const before = sample(await scrape(), 'cutroom_tasks_finished_total', { kind: 'probe', result: 'completed' });
      await locker.query('begin');
      await locker.query('lock table tasks in access exclusive mode');
      // A scrape must not wait on the database (the bound only proves that it does not hang).
      const scrapeWhileLocked = async () => {
        const response = await settlesWithin(server.api().get('/metrics'), 5000, 'a scrape while the database does not answer');
        expect(response.status).toBe(200);
        expect(sample(response.text, 'cutroom_callbacks_backlog')).toBe(0);
        expect(sample(response.text, 'cutroom_tasks_finished_total', { kind: 'probe', result: 'completed' })).toBe(before);
        return response.text;
      };
      // Past the snapshot interval, a scrape starts a refresh that waits on the lock; later ones answer all the same.
      await expect
        .poll(async () => sample(await scrapeWhileLocked(), 'cutroom_metrics_snapshot_age_seconds'), { timeout: 10_000, interval: 100 })
        .toBeGreaterThan(1);
      for (let i = 0; i < 2; i++) await scrapeWhileLocked();
    } finally {
      await locker.query('rollback');
      await locker.end();
    }
  });
});
