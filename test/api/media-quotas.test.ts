import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { signedInUser, type TestUser } from '../support/media-factory.js';
import type { NewMedia } from '../../control-plane/src/services/media.js';

const limits = { MAX_FILE_SIZE: '1000', MAX_USER_BYTES: '5000', MIN_FREE_DISK_BYTES: '0' };

describe.each(drivers)('media quotas (%s database)', (driver) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(driver, limits);
  });
  afterAll(() => server?.destroy());

  const media = () => server.controlPlane.services.media;
  const upload = (user: TestUser, sizeBytes: number): NewMedia => ({
    ownerId: user.id,
    name: 'upload.mp4',
    type: 'uploaded',
    status: 'upload',
    sizeBytes,
  });
  const entries = async (user: TestUser) => (await user.api.get('/api/mediafiles?count=1000')).body.total_count as number;

  it('refuses a file over MAX_FILE_SIZE with exceeded_file_size (507) and makes nothing', async () => {
    const user = await signedInUser(server);
    await expect(media().create(upload(user, 1001))).rejects.toMatchObject({ status: 507, type: 'exceeded_file_size' });
    await expect(media().checkQuota(user.id, 1001)).rejects.toMatchObject({ status: 507, type: 'exceeded_file_size' });
    await media().checkQuota(user.id, 1000);
    expect(await entries(user)).toBe(0);
    await user.editor.close();
  });

  it('refuses what would pass MAX_USER_BYTES with exceeded_per_user_size, per user, until files are deleted', async () => {
    const user = await signedInUser(server);
    const other = await signedInUser(server);
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await media().create(upload(user, 1000)));
    const refused = media().create(upload(user, 1));
    await expect(refused).rejects.toMatchObject({ status: 507, type: 'exceeded_per_user_size' });
    await expect(refused).rejects.toThrow(/5000 bytes of the 5000 allowed/);
    expect(await entries(user)).toBe(5);
    // Another user's room is their own.
    await media().create(upload(other, 1000));
    expect((await user.api.delete(`/api/mediafiles/${rows[0]!.id}`)).status).toBe(200);
    await media().create(upload(user, 1000));
    expect(await media().quotaUsage(user.id)).toEqual({ usedBytes: 5000, maxUserBytes: 5000, maxFileSizeBytes: 1000 });
    await user.editor.close();
    await other.editor.close();
  });

  it('holds the per-user limit against creations racing each other', async () => {
    const user = await signedInUser(server);
    const results = await Promise.allSettled(Array.from({ length: 9 }, () => media().create(upload(user, 900))));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(5);
    for (const failure of results.filter((r) => r.status === 'rejected')) {
      expect((failure as PromiseRejectedResult).reason).toMatchObject({ status: 507, type: 'exceeded_per_user_size' });
    }
    expect((await media().quotaUsage(user.id)).usedBytes).toBe(4500);
    await user.editor.close();
  });

  it('refuses new files with low_disk_space when the disk would drop under MIN_FREE_DISK_BYTES', async () => {
    server = await server.restart({ MIN_FREE_DISK_BYTES: '1024t' });
    const user = await signedInUser(server);
    await expect(media().checkQuota(user.id, 1)).rejects.toMatchObject({ status: 507, type: 'low_disk_space' });
    await expect(media().create(upload(user, 10))).rejects.toMatchObject({ status: 507, type: 'low_disk_space' });
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
