import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaService, type NewMedia } from '../../control-plane/src/services/library/media.js';
import { StorageQuota } from '../../control-plane/src/services/library/storage-quota.js';
import { startMediumServices, type MediumServices } from '../support/medium.js';

const limits = { MAX_FILE_SIZE: '1000', MAX_USER_BYTES: '5000', MIN_FREE_DISK_BYTES: '0' };

describe('media quotas (services, Postgres)', () => {
  let services: MediumServices;
  beforeAll(async () => {
    services = await startMediumServices(limits);
  });
  afterAll(() => services?.destroy());

  const upload = (ownerId: string, sizeBytes: number): NewMedia => ({ ownerId, name: 'upload.mp4', type: 'uploaded', status: 'upload', sizeBytes });
  const entries = async (ownerId: string) =>
    (
      await services.media.list(ownerId, {
        startNumber: 0,
        count: 1000,
        filter: { folders: true, mediaTypes: ['video', 'audio', 'image'], voiceover: true },
        sortField: 'createTime',
        sortOrder: 'desc',
        folderId: null,
      })
    ).total_count;

  it('refuses a file over MAX_FILE_SIZE with exceeded_file_size (507) and makes nothing', async () => {
    const user = await services.factory.user();
    await expect(services.media.create(upload(user, 1001))).rejects.toMatchObject({ status: 507, type: 'exceeded_file_size' });
    await expect(services.media.checkQuota(user, 1001)).rejects.toMatchObject({ status: 507, type: 'exceeded_file_size' });
    await services.media.checkQuota(user, 1000);
    expect(await entries(user)).toBe(0);
  });

  it('refuses what would pass MAX_USER_BYTES with exceeded_per_user_size, per user, until files are deleted', async () => {
    const user = await services.factory.user();
    const other = await services.factory.user();
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await services.media.create(upload(user, 1000)));
    const refused = services.media.create(upload(user, 1));
    await expect(refused).rejects.toMatchObject({ status: 507, type: 'exceeded_per_user_size' });
    await expect(refused).rejects.toThrow(/5000 bytes of the 5000 allowed/);
    expect(await entries(user)).toBe(5);
    // Another user's room is their own.
    await services.media.create(upload(other, 1000));
    await services.media.delete(user, rows[0]!.id, false);
    await services.media.create(upload(user, 1000));
    expect(await services.media.quotaUsage(user)).toEqual({ usedBytes: 5000, maxUserBytes: 5000, maxFileSizeBytes: 1000 });
  });

  it('holds the per-user limit against creations racing each other', async () => {
    const user = await services.factory.user();
    const results = await Promise.allSettled(Array.from({ length: 9 }, () => services.media.create(upload(user, 900))));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(5);
    for (const failure of results.filter((r) => r.status === 'rejected')) {
      expect((failure as PromiseRejectedResult).reason).toMatchObject({ status: 507, type: 'exceeded_per_user_size' });
    }
    expect((await services.media.quotaUsage(user)).usedBytes).toBe(4500);
  });

  it('refuses new files with low_disk_space when the disk would drop under the floor, and applies no floor without a local disk', async () => {
    const { database, storage, projects, objectDeletions } = services;
    const withFloor = (freeDiskBytes: (() => Promise<number>) | undefined) =>
      new MediaService(
        database.db,
        storage,
        projects,
        objectDeletions,
        new StorageQuota({ maxFileSizeBytes: 1000, maxUserBytes: 5000, minFreeDiskBytes: 2 ** 40, freeDiskBytes }),
        { urlTtlS: 3600 },
      );
    const user = await services.factory.user();
    const local = withFloor(async () => 2 ** 40 + 5);
    await local.checkQuota(user, 5);
    await expect(local.checkQuota(user, 6)).rejects.toMatchObject({ status: 507, type: 'low_disk_space' });
    await expect(local.create(upload(user, 10))).rejects.toMatchObject({ status: 507, type: 'low_disk_space' });
    expect(await entries(user)).toBe(0);
    // Objects not on this disk (s3): size limits only.
    const remote = withFloor(undefined);
    await remote.checkQuota(user, 1000);
    await expect(remote.checkQuota(user, 1001)).rejects.toMatchObject({ type: 'exceeded_file_size' });
  });
});
