import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { settledMedia, signedInUser, type TestUser } from '../support/media-factory.js';
import { makeMedia } from '../support/media.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { askState, chunks, putChunk } from '../support/uploader.js';
import { clip, followEditing, xtl } from '../support/editing.js';
import { holdFor } from '../support/waiting.js';

/**
 * The object store (a real S3 server) stopped and started again: uploads answer 503 with the
 * JSON error model while it is down and resume from the reported Range; a render submitted
 * while it is down fails clearly or completes after retries; nothing is left half-written.
 */

describe('the S3 server stopped and restarted', () => {
  let s3: TestS3Server;
  let server: TestServer;
  let alice: TestUser;
  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('media');
    server = await startTestServer('postgres', {
      ...s3.env('media'),
      DISPATCH_INTERVAL_MS: '200',
      WATCHDOG_INTERVAL_MS: '500',
      TASK_HEARTBEAT_TIMEOUT_S: '20',
      MAX_ATTEMPTS: '4',
    });
    alice = await signedInUser(server, 'alice');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
    await s3?.stop();
  });

  it('refuses chunks with 503 while it is down, then the upload resumes and is byte-identical, with no partial object', async () => {
    const bytes = await fs.readFile(
      await makeMedia('s3-fault-4s.mp4', [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=25:duration=4',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-b:v',
        '2M',
        '-pix_fmt',
        'yuv420p',
      ]),
    );
    const plan = chunks(bytes.length, 256 * 1024);
    const { id } = (await alice.api.post('/api/upload/media', { size: bytes.length, name: 'clip.mp4' })).body;
    expect((await putChunk(alice.api, id, bytes, plan[0]!)).status).toBe(206);

    await s3.halt();
    const refused = await putChunk(alice.api, id, bytes, plan[1]!);
    expect(refused.status).toBe(503);
    expect(refused.body.error.type).toBe('service_unavailable');
    expect(refused.headers.get('retry-after')).toBeTruthy();
    // The session lives in the database: its state is still answered, and is what was acknowledged.
    const state = await askState(alice.api, id, bytes.length);
    expect(state.headers.get('range')).toBe(`bytes=0-${plan[0]!.end}`);

    await s3.resume();
    let last = state;
    for (const chunk of plan.slice(1)) last = await putChunk(alice.api, id, bytes, chunk);
    expect(last.status).toBe(200);
    const entry = await settledMedia(alice, id);
    expect(entry.error).toBeNull();
    const stored = Buffer.from(await (await fetch(entry.originalUrl)).arrayBuffer());
    expect(stored.equals(bytes)).toBe(true);
    // Every chunk object still there is whole.
    for (const key of await s3.keys('media', `media/`)) {
      const part = /upload\/(\d+)-(\d+)\.part$/.exec(key);
      if (part) expect(await s3.head('media', key)).toBe(Number(part[2]) - Number(part[1]) + 1);
    }
  }, 120_000);

  it('lets a render submitted while it is down fail clearly or complete after retries', async () => {
    const ready = (await alice.api.get('/api/mediafiles?count=1')).body.entries[0];
    expect(ready.status).toBe('ready');
    await s3.halt();
    const submitted = await alice.api.post('/api/task/editing', {
      xtl_task: xtl(`<group output="out.mp4"><track>${clip(ready.id, '00:00:00:00', '00:00:02:00')}</track></group>`),
    });
    // Submission needs no stored byte: the task is queued, or refused with 503 if a check reached the store.
    expect([200, 503]).toContain(submitted.status);
    await holdFor(3000); // the outage lasts while the render is tried
    await s3.resume();
    if (submitted.status !== 200) return;
    const done = await followEditing(alice.api, submitted.body.taskId, { timeoutMs: 90_000, intervalMs: 300 });
    if (done.last.status === 'error') {
      expect(['download_error', 'upload_error', 'engine_error']).toContain(done.last.error?.type);
      expect(done.last.error?.message.length).toBeGreaterThan(10);
      // A signed URL is a credential: never in an error the user or a callback sees.
      expect(done.last.error?.message).not.toMatch(/X-Amz-Signature|sig=/);
    } else {
      expect(done.last.status).toBe('completed');
      const output = await fetch(done.last.outputUrls[0]!);
      expect(output.status).toBe(200);
    }
    console.log(`render across an S3 outage: ${done.statuses.join(' → ')} ${JSON.stringify(done.last.error)}`);
  }, 120_000);
});
