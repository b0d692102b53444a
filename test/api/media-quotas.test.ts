import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { signedInUser } from '../support/media-factory.js';

const limits = { MAX_FILE_SIZE: '1000', MAX_USER_BYTES: '5000', MIN_FREE_DISK_BYTES: '0' };

/**
 * The quota settings reach the server and its answers: the editor API's 507 errors over HTTP, and the
 * signed-URL write limit. The rules themselves (per user, under races, the disk floor) are
 * asserted on the media service, in test/medium/media-quotas.test.ts.
 */
describe('media quotas over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres', limits);
  });
  afterAll(() => server?.destroy());

  it('answers an upload over MAX_FILE_SIZE or MAX_USER_BYTES with 507 and the editor API error type', async () => {
    const user = await signedInUser(server);
    const tooBig = await user.api.post('/api/upload/media', { size: 1001, name: 'big.mp4' });
    expect(tooBig.status).toBe(507);
    expect(tooBig.body.error.type).toBe('exceeded_file_size');
    for (let i = 0; i < 5; i++) expect((await user.api.post('/api/upload/media', { size: 1000, name: `fits ${i}.mp4` })).status).toBe(200);
    const full = await user.api.post('/api/upload/media', { size: 1, name: 'one more.mp4' });
    expect(full.status).toBe(507);
    expect(full.body.error.type).toBe('exceeded_per_user_size');
    await user.editor.close();
  });

  it('limits objects written through signed URLs to MAX_FILE_SIZE (413), storing nothing', async () => {
    const { storage } = server.controlPlane.services;
    const url = await storage.signedPutUrl('quota/too-big.mp4', { expiresInS: 60 });
    const declared = await fetch(url, { method: 'PUT', body: Buffer.alloc(1001) });
    expect(declared.status).toBe(413);
    await declared.arrayBuffer();
    // Without a length up front, the limit is enforced while the bytes stream.
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(400));
        controller.close();
      },
    });
    const streamed = await fetch(url, { method: 'PUT', body: chunks, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    await streamed.arrayBuffer();
    expect(await storage.head('quota/too-big.mp4')).toBeUndefined();
    const fits = await fetch(url, { method: 'PUT', body: Buffer.alloc(1000) });
    expect(fits.status).toBe(200);
    expect((await storage.head('quota/too-big.mp4'))?.sizeBytes).toBe(1000);
  });

  it('answers 507 low_disk_space when the disk would drop under MIN_FREE_DISK_BYTES', async () => {
    server = await server.restart({ MIN_FREE_DISK_BYTES: '1024t' });
    const user = await signedInUser(server);
    const refused = await user.api.post('/api/upload/media', { size: 10, name: 'small.mp4' });
    expect(refused.status).toBe(507);
    expect(refused.body.error.type).toBe('low_disk_space');
    await user.editor.close();
  });
});

describe('media quotas with s3 storage', () => {
  let server: TestServer;
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await startS3Server();
    server = await startTestServer('postgres', { ...s3.env('quotas'), ...limits, MIN_FREE_DISK_BYTES: '1024t' });
  });
  afterAll(async () => {
    await server?.destroy();
    await s3?.stop();
  });

  it('applies size limits but no local disk floor (objects are not on this disk)', async () => {
    const user = await signedInUser(server);
    await server.controlPlane.services.media.checkQuota(user.id, 1000);
    await expect(server.controlPlane.services.media.checkQuota(user.id, 1001)).rejects.toMatchObject({ type: 'exceeded_file_size' });
    await user.editor.close();
  });
});
