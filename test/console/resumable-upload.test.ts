import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, settledMedia, type TestUser } from '../support/media-factory.js';
import { smallMp4 } from '../support/media.js';
import fs from 'node:fs/promises';
import { ResumableUpload, UploadFailed, receivedFromRange } from '../../console/src/editor/upload/resumable-upload.js';
import { UploadMemory } from '../../console/src/editor/upload/upload-memory.js';

/**
 * The console's upload client against a real server: lost answers, refused connections and
 * 5xx answers are retried from what the server says it holds, an upload stopped half-way is
 * taken up by a new client (as after a reload), and the stored file is the file sent.
 */

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const noSleep = async () => {};

describe('the console upload client', () => {
  let server: TestServer;
  let user: TestUser;
  let file: Buffer;

  beforeAll(async () => {
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100' });
    user = await signedInUser(server);
    file = Buffer.concat([await fs.readFile(await smallMp4(4)), Buffer.alloc(300 * 1024, 7)]);
  });
  afterAll(async () => {
    await user?.editor.close();
    await server?.destroy();
  });

  const createSession = async (name: string) => (await user.api.post('/api/upload/media', { size: file.length, name })).body.id as string;
  const transport = (fetchImpl?: typeof fetch) => ({ baseUrl: server.url, token: () => user.token, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  const storedBytes = async (id: string) => {
    const entry = await settledMedia(user, id);
    expect(entry.error).toBeNull();
    return new Uint8Array(await (await fetch(entry.originalUrl)).arrayBuffer());
  };

  it('reads the Range header', () => {
    expect(receivedFromRange('bytes=0-65535')).toBe(65536);
    expect(receivedFromRange(null)).toBe(0);
    expect(receivedFromRange('bytes=10-20')).toBe(0);
  });

  it('goes on from what the server holds after lost answers, refused connections and 5xx', async () => {
    const id = await createSession('flaky.mp4');
    let calls = 0;
    const ranges: string[] = [];
    const flaky: typeof fetch = async (input, init) => {
      calls += 1;
      ranges.push(new Headers(init?.headers).get('Content-Range')!);
      if (calls === 2) {
        // The chunk arrives, the answer does not.
        await fetch(input, init);
        throw new TypeError('network error: the connection was reset');
      }
      if (calls === 4) throw new TypeError('network error: connection refused');
      if (calls === 6)
        return new Response('{"error":{"type":"internal_server_error","message":"try later"}}', {
          status: 503,
          headers: { 'content-type': 'application/json' },
        });
      return fetch(input, init);
    };
    const retries: string[] = [];
    const upload = new ResumableUpload(new Blob([new Uint8Array(file)]), id, transport(flaky), {
      initialChunkBytes: 128 * 1024,
      maxChunkBytes: 128 * 1024,
      sleep: noSleep,
      onRetry: (error) => retries.push(error.message),
    });
    await upload.run();
    expect(upload.complete).toBe(true);
    expect(retries).toEqual(['network error: the connection was reset', 'network error: connection refused', 'try later']);
    // After the lost answer it asked, and the server said it had the chunk: it was not sent again.
    expect(ranges[2]).toBe(`bytes */${file.length}`);
    expect(ranges[3]).toMatch(/^bytes 262144-/);
    expect(sha(await storedBytes(id))).toBe(sha(file));
  });

  it('is taken up by a new client after the first one stopped, as after a reload', async () => {
    const id = await createSession('reloaded.mp4');
    const stop = new AbortController();
    const first = new ResumableUpload(new Blob([new Uint8Array(file)]), id, transport(), {
      initialChunkBytes: 64 * 1024,
      maxChunkBytes: 64 * 1024,
      onProgress: (received) => received >= 192 * 1024 && stop.abort(new Error('the page went away')),
    });
    await expect(first.run(stop.signal)).rejects.toThrow('the page went away');
    expect(first.receivedBytes).toBe(192 * 1024);

    const second = new ResumableUpload(new Blob([new Uint8Array(file)]), id, transport());
    expect(await second.queryState()).toBe(192 * 1024);
    await second.run();
    expect(sha(await storedBytes(id))).toBe(sha(file));
  });

  it('stops at once on an upload session that does not exist', async () => {
    const upload = new ResumableUpload(new Blob([new Uint8Array(file)]), 'AAAAAAAAAAAAAAAAAAAAAA', transport(), { sleep: noSleep });
    const failure = await upload.run().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UploadFailed);
    expect(failure).toMatchObject({ status: 404, retryable: false });
  });

  it('remembers unfinished uploads per user, by the file they are of', () => {
    const values = new Map<string, string>();
    const storage = { getItem: (k: string) => values.get(k) ?? null, setItem: (k: string, v: string) => void values.set(k, v) };
    let now = 1_000_000;
    const memory = new UploadMemory(storage, 'user-1', () => now);
    const identity = { name: 'a.mp4', size: 10, lastModified: 5 };
    memory.remember({ mediaId: 'm1', ...identity, folder: null, startedAtMs: now, receivedBytes: 0 });
    memory.update('m1', 4);
    expect(memory.find(identity)).toMatchObject({ mediaId: 'm1', receivedBytes: 4 });
    expect(memory.find({ ...identity, lastModified: 6 })).toBeUndefined();
    expect(new UploadMemory(storage, 'user-2').list()).toEqual([]);
    now += 25 * 3600 * 1000;
    expect(memory.list()).toEqual([]);
  });
});
