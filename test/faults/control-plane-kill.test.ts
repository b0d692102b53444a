import fs from 'node:fs/promises';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startControlPlaneProcess, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { connectEditor } from '../support/editor-client.js';
import { DeveloperServer } from '../support/developer-server.js';
import { makeMedia } from '../support/media.js';
import { chunks, putChunk, askState } from '../support/uploader.js';
import { clip, followEditing, probeOutput, downloadUrl, xtl } from '../support/editing.js';
import { processAlive } from '../support/processes.js';
import type { ApiClient } from '../support/api-client.js';
import { holdFor } from '../support/waiting.js';

/**
 * kill -9 of the control plane at the worst moments: mid-upload, mid-render, and between a
 * change and its callback. It is started again on the same port, database and data; nothing it
 * had acknowledged may be lost, and nothing may happen twice.
 */

/** A real video of a few megabytes (10 s, 640x360, high bitrate), so uploads and renders take a while. */
const bigVideo = () =>
  makeMedia('fault-10s.mp4', [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=25:duration=10',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=10',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-b:v',
    '3M',
    '-g',
    '25',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
  ]);

describe('kill -9 of the control plane', () => {
  let cp: ControlPlaneProcess;
  let developer: DeveloperServer;
  let api: ApiClient;
  let userId: string;
  let db: pg.Client;
  /** The media the upload test stored, which the render test cuts. */
  let uploaded: string | undefined;
  beforeAll(async () => {
    developer = await new DeveloperServer().start();
    cp = await startControlPlaneProcess({
      WORKERS: '2',
      DISPATCH_INTERVAL_MS: '200',
      WATCHDOG_INTERVAL_MS: '500',
      TASK_HEARTBEAT_INTERVAL_S: '1',
      TASK_HEARTBEAT_TIMEOUT_S: '10',
      CALLBACK_POLL_INTERVAL_MS: '100',
      CALLBACK_TIMEOUT_MS: '1000',
      CALLBACK_BACKOFF_MS: '100',
      ALLOW_PRIVATE_URLS: 'true',
      TOKEN_GRACE_SECONDS: '600',
    });
    const dev = await cp.api('test-admin-token').post('/api/developers', { name: 'dev', callBackUrl: developer.callbackUrl });
    userId = (await cp.api().post('/api/users', { name: 'editor', apiKey: dev.body.apiKey })).body.id;
    const editor = await connectEditor(cp.wsUrl, { authToken: randomUUID(), sessionId: userId });
    // The socket dies with the process; the token stays valid for the grace period.
    api = cp.api(editor.authToken);
    db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await cp?.destroy();
    await developer?.close();
  });

  it('mid-upload: the upload resumes from the reported Range and the file is byte-identical', async () => {
    const bytes = await fs.readFile(await bigVideo());
    const plan = chunks(bytes.length, 512 * 1024);
    expect(plan.length).toBeGreaterThan(4);
    const { id } = (await api.post('/api/upload/media', { size: bytes.length, name: 'interview.mp4' })).body;
    let acknowledged = 0;
    for (const chunk of plan.slice(0, 3)) {
      const answer = await putChunk(api, id, bytes, chunk);
      expect(answer.status).toBe(206);
      acknowledged = chunk.end + 1;
    }
    // The fourth chunk is half sent when the process dies.
    const inFlight = plan[3]!;
    const request = http.request(new URL(`/api/upload/media?id=${id}`, cp.url), {
      method: 'PUT',
      headers: {
        authorization: api.token!,
        'content-type': 'application/octet-stream',
        'content-length': inFlight.end - inFlight.start + 1,
        'content-range': `bytes ${inFlight.start}-${inFlight.end}/${bytes.length}`,
      },
    });
    request.on('error', () => {});
    await new Promise<void>((resolve) => request.write(bytes.subarray(inFlight.start, inFlight.start + 200_000), () => resolve()));
    await cp.kill9();
    request.destroy();
    await cp.start();

    // The Range header is the truth: at least what was acknowledged, and a prefix.
    const state = await askState(api, id, bytes.length);
    expect(state.status).toBe(206);
    const received = Number(/^bytes=0-(\d+)$/.exec(state.headers.get('range') ?? '')?.[1] ?? -1) + 1;
    expect(received).toBeGreaterThanOrEqual(acknowledged);
    let last = state;
    for (const chunk of chunks(bytes.length - received, 512 * 1024).map((c) => ({ start: c.start + received, end: c.end + received }))) {
      last = await putChunk(api, id, bytes, chunk);
    }
    expect(last.status).toBe(200);
    // The chunks become the original when ingest assembles them.
    const entry = await vi.waitFor(
      async () => {
        const row = (await api.get(`/api/mediafiles/${id}`)).body;
        expect(row.status, 'the upload ingested').toBe('ready');
        return row;
      },
      { timeout: 60_000, interval: 100 },
    );
    expect(entry.error, cp.output().slice(-4000)).toBeNull();
    expect(entry.size).toBe(bytes.length);
    const stored = Buffer.from(await (await fetch(entry.originalUrl)).arrayBuffer());
    expect(stored.length, stored.subarray(0, 200).toString()).toBe(bytes.length);
    expect(stored.equals(bytes)).toBe(true);
    uploaded = id;
  }, 120_000);

  it('mid-render: the task is recovered and completes once', async () => {
    let id = uploaded;
    if (!id) {
      const bytes = await fs.readFile(await bigVideo());
      id = (await api.post('/api/upload/media', { size: bytes.length, name: 'source.mp4' })).body.id as string;
      for (const chunk of chunks(bytes.length, 4 * 2 ** 20)) await putChunk(api, id, bytes, chunk);
    }
    await expect
      .poll(async () => (await api.get(`/api/mediafiles/${id}`)).body.status, { timeout: 60_000, interval: 100, message: 'the source ready' })
      .toBe('ready');
    const project = (await api.post('/api/projects', { name: 'cut' })).body.id;
    // Frame-accurate, with a fade: re-encoded, so it runs for a few seconds.
    const document = xtl(
      `<group output="cut.mp4"><track>${clip(id, '00:00:00:50', '00:00:09:50')}<param name="fadein" value="00:00:01:00" timeFormat="time10ms"/></track></group>`,
    );
    const submitted = await api.post('/api/task/editing', { xtl_task: document, projectId: project });
    expect(submitted.status).toBe(200);
    const { taskId, fileId } = submitted.body;
    await followEditing(api, taskId, { until: (s) => s.status === 'running' && s.progress > 0, timeoutMs: 60_000 });
    const nodes = await cp.children();
    expect(nodes.length).toBeGreaterThan(0);
    await cp.kill9();
    await cp.start();
    // The orphaned render node cannot report to a dead process forever: it goes, and the task is run again or finished.
    const done = await followEditing(api, taskId, { timeoutMs: 90_000, intervalMs: 200 });
    expect(done.last.status).toBe('completed');
    await expect.poll(() => nodes.filter(processAlive), { timeout: 30_000, interval: 100, message: 'the orphaned render nodes gone' }).toEqual([]);
    const output = (await api.get(`/api/mediafiles/${fileId}`)).body;
    expect(output.status).toBe('ready');
    const probed = await probeOutput(await downloadUrl(done.last.outputUrls[0]!, 'cut.mp4'));
    expect(probed.durationS).toBeGreaterThan(8.8);
    expect(probed.durationS).toBeLessThan(9.3);
    // Completed once: one render_complete event, one output entry, one task row.
    const events = await db.query(`select count(*)::int as n from domain_events where user_id = $1 and type = 'render_complete'`, [userId]);
    expect(events.rows[0].n).toBe(1);
    const outputs = await db.query(`select count(*)::int as n from media where owner_id = $1 and type = 'output'`, [userId]);
    expect(outputs.rows[0].n).toBe(1);
  }, 180_000);

  it('between a change and its callback: delivered after the restart, acknowledged once per event id', async () => {
    developer.script = ['hang'];
    developer.then = 'ok';
    const before = developer.callbacks.length;
    const created = await api.post('/api/projects', { name: 'called back' });
    expect(created.status).toBe(200);
    // The callback is on its way (the receiver holds it) when the process dies.
    await expect
      .poll(() => developer.callbacks.slice(before).at(-1)?.body.type, { timeout: 30_000, interval: 50, message: 'the callback arrived' })
      .toBe('project_create');
    const eventId = developer.callbacks.at(-1)!.headers['x-cutroom-event-id'] as string;
    await cp.kill9();
    await cp.start();
    await expect
      .poll(() => developer.delivered().some((c) => c.headers['x-cutroom-event-id'] === eventId), {
        timeout: 30_000,
        interval: 50,
        message: 'the callback delivered',
      })
      .toBe(true);
    await holdFor(1500); // and not again
    const forEvent = developer.callbacks.filter((c) => c.headers['x-cutroom-event-id'] === eventId);
    expect(forEvent.length).toBeGreaterThanOrEqual(2);
    expect(forEvent.filter((c) => c.answered === 200)).toHaveLength(1);
    expect(forEvent.every((c) => c.body.payload.projectId === created.body.id)).toBe(true);
    const row = await db.query(`select delivery from domain_events where id = $1`, [eventId]);
    expect(row.rows[0].delivery).toBe('delivered');
  }, 90_000);
});
