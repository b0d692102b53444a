import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';
import { smallMp4 } from '../support/media.js';
import { processAlive } from '../support/processes.js';
import { holdFor } from '../support/waiting.js';

/**
 * Exact thumbnails (`cached=false`) run ffmpeg inside the API process: one limit for all
 * requests, a bounded queue, and work that stops with its client. ffmpeg here is the real one
 * behind a wrapper that records each start and waits 3 s first, so the queue can be seen full.
 */
const wrapperDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-slow-ffmpeg-'));
const startsFile = path.join(wrapperDir, 'starts');
const wrapper = path.join(wrapperDir, 'ffmpeg');
await fs.writeFile(wrapper, `#!/bin/bash\necho $$ >> ${startsFile}\ntrap 'exit 143' TERM\nsleep 3 & wait $!\nexec ffmpeg "$@"\n`, { mode: 0o755 });
// Read once by this process's ffmpeg runner, on its first use.
process.env.FFMPEG_PATH = wrapper;

const starts = async () => (await fs.readFile(startsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);

describe('live thumbnail limits', () => {
  let server: TestServer;
  let alice: TestUser;
  let videoId: string;
  beforeAll(async () => {
    server = await startTestServer('postgres', { THUMB_LIVE_CONCURRENCY: '1', THUMB_LIVE_QUEUE: '2', THUMB_LIVE_MAX_COUNT: '3' });
    alice = await signedInUser(server, 'alice');
    const row = await storedMedia(server, alice.id, {
      mediaType: 'video',
      original: await fs.readFile(await smallMp4(2)),
      durationHns: 2e7,
      width: 320,
      height: 240,
    });
    videoId = row.id;
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
    await fs.rm(wrapperDir, { recursive: true, force: true });
  });

  it('caps the count of frames extracted per request', async () => {
    const res = await alice.api.get(`/api/clip_thumbnails?id=${videoId}&count=4&cached=false`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/count: at most 3 thumbnails are extracted per request/);
    expect(await starts()).toEqual([]);
  });

  it('answers 503 past the queue, and stops the work of a client that left', async () => {
    // A: three frames, one running and two waiting: the queue is full.
    const url = new URL(`/api/clip_thumbnails?id=${videoId}&count=3&step=2000000&cached=false`, server.url);
    const a = http.get(url, { headers: { authorization: alice.token } });
    a.on('error', () => {});
    await expect.poll(async () => (await starts()).length, { timeout: 10_000, interval: 25, message: 'the first extraction' }).toBe(1);
    const [running] = await starts();

    const refused = await alice.api.get(`/api/clip_thumbnails?id=${videoId}&count=1&cached=false`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.body.error.type).toBe('service_unavailable');

    // A's client goes away: its running ffmpeg is stopped and its waiting frames never start.
    a.destroy();
    await expect.poll(() => processAlive(running!), { timeout: 10_000, interval: 25, message: 'the running extraction stops' }).toBe(false);
    await holdFor(300); // and the waiting frames do not start
    expect(await starts()).toHaveLength(1);

    // The slots are free again: a new request is answered, with a real PNG.
    const served = await alice.api.get(`/api/clip_thumbnails?id=${videoId}&count=1&start_time=10000000&cached=false`);
    expect(served.status).toBe(200);
    expect(Buffer.from(served.body.thumbnails[0].data, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(await starts()).toHaveLength(2);
  });
});
