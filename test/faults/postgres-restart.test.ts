import { randomUUID } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startControlPlaneProcess, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { connectEditor } from '../support/editor-client.js';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import type { ApiClient } from '../support/api-client.js';

/**
 * Postgres restarted under traffic (a private cluster of the test's own, never the shared one):
 * while it is down, requests fail cleanly with 503 and the JSON error model; once it is back
 * they succeed again without restarting Cutroom, and every change that was acknowledged is there.
 */

describe.runIf(await privatePostgresAvailable())('Postgres restarted under traffic', () => {
  let postgres: PrivatePostgres;
  let cp: ControlPlaneProcess;
  let api: ApiClient;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create database cutroom');
    await admin.end();
    cp = await startControlPlaneProcess(
      { TOKEN_GRACE_SECONDS: '600', WS_PING_INTERVAL_MS: '1000' },
      { databaseUrl: postgres.url.replace(/\/postgres$/, '/cutroom') },
    );
    const { id } = (await cp.api().post('/api/users', { name: 'editor' })).body;
    const editor = await connectEditor(cp.wsUrl, { authToken: randomUUID(), sessionId: id });
    api = cp.api(editor.authToken);
  }, 120_000);
  afterAll(async () => {
    if (process.env.DEBUG_FAULTS) console.log(cp?.output().slice(-6000));
    await cp?.destroy();
    await postgres?.destroy();
  });

  it('answers 503 while it is down and serves again once it is back, losing nothing acknowledged', async () => {
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    const badBodies: string[] = [];
    let running = true;
    const traffic = async (worker: number) => {
      for (let i = 0; running; i++) {
        const answer = i % 2 === 0 ? await api.post('/api/projects', { name: `p-${worker}-${i}` }) : await api.get('/api/projects?count=5');
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 200 && i % 2 === 0) acknowledged.push(answer.body.id);
        if (answer.status !== 200 && !(answer.status === 503 && answer.body?.error?.type === 'service_unavailable'))
          badBodies.push(`${answer.status} ${answer.text.slice(0, 200)}`);
        await pause(20);
      }
    };
    const workers = [0, 1, 2, 3].map(traffic);
    const poll = { timeout: 30_000, interval: 25 };
    await expect.poll(() => acknowledged.length, { ...poll, message: 'traffic served' }).toBeGreaterThan(5);
    await postgres.stop();
    await expect.poll(() => statuses.get(503) ?? 0, { ...poll, message: 'traffic refused while Postgres is down' }).toBeGreaterThan(0);
    const down = await api.get('/api/projects');
    const ready = await fetch(`${cp.url}/readyz`);
    await postgres.start();
    // Back without a restart of Cutroom: the pool reconnects.
    const back = await vi.waitFor(
      async () => {
        const answer = await api.get('/api/projects?count=1');
        expect(answer.status).toBe(200);
        return answer;
      },
      { timeout: 20_000, interval: 100 },
    );
    const acknowledgedBefore = acknowledged.length;
    await expect.poll(() => acknowledged.length, { ...poll, message: 'traffic served again' }).toBeGreaterThan(acknowledgedBefore + 5);
    running = false;
    await Promise.all(workers);

    expect(down.status).toBe(503);
    expect(down.body.error.type).toBe('service_unavailable');
    expect(down.headers.get('retry-after')).toBeTruthy();
    expect(ready.status).toBe(503);
    expect(back.status).toBe(200);
    expect(badBodies).toEqual([]);
    expect(statuses.get(503)).toBeGreaterThan(0);
    expect(statuses.get(200)).toBeGreaterThan(10);
    const listed = (await api.get('/api/projects?count=1000')).body.entries.map((p: { id: string }) => p.id);
    for (const id of acknowledged) expect(listed).toContain(id);
    console.log(`postgres restart: ${JSON.stringify(Object.fromEntries(statuses))} answers, ${acknowledged.length} projects acknowledged, all present`);
  }, 120_000);
});
