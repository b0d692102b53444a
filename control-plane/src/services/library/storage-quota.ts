import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { MediaRepository } from '../../db/media-repository.js';
import { insufficientStorage } from '../../http/errors.js';

export interface StorageQuotaOptions {
  /** Largest single file; 0: no limit. */
  maxFileSizeBytes: number;
  /** Most bytes of media per user; 0: no limit. */
  maxUserBytes: number;
  /** Free bytes the disk must keep after a new file (fs storage only). */
  minFreeDiskBytes: number;
  /** Free bytes of the disk holding the objects; undefined when objects are not on a local disk (s3). */
  freeDiskBytes: (() => Promise<number>) | undefined;
}

export interface QuotaUsage {
  usedBytes: number;
  /** 0: no limit. */
  maxUserBytes: number;
  maxFileSizeBytes: number;
}

/**
 * The limits on what users store, answered with the editor API's errors (HTTP 507):
 * `exceeded_file_size`, `exceeded_per_user_size`, `low_disk_space`. A user's usage is the sum
 * of their entries' sizes, counted from the moment an entry exists (an upload in progress
 * reserves its declared size), so parallel uploads cannot overrun the limit together.
 */
export class StorageQuota {
  constructor(private readonly options: StorageQuotaOptions) {}

  /**
   * Throws a 507 error when `ownerId` may not add a file of `incomingBytes`. Run it inside the
   * transaction that creates the entry, under the owner's lock (MediaService.create does), for
   * the per-user check to hold against concurrent creations.
   */
  async check(db: Kysely<DB>, ownerId: string | null, incomingBytes: number): Promise<void> {
    const { maxFileSizeBytes, maxUserBytes, minFreeDiskBytes, freeDiskBytes } = this.options;
    if (maxFileSizeBytes > 0 && incomingBytes > maxFileSizeBytes) {
      throw insufficientStorage('exceeded_file_size', `the file has ${incomingBytes} bytes; the largest file allowed has ${maxFileSizeBytes}`);
    }
    if (ownerId !== null && maxUserBytes > 0) {
      const used = await new MediaRepository(db).bytesOwnedBy(ownerId);
      if (used + incomingBytes > maxUserBytes) {
        throw insufficientStorage(
          'exceeded_per_user_size',
          `your media take ${used} bytes of the ${maxUserBytes} allowed; this file needs ${incomingBytes} more`,
        );
      }
    }
    if (freeDiskBytes !== undefined && minFreeDiskBytes > 0) {
      const free = await freeDiskBytes();
      if (free - incomingBytes < minFreeDiskBytes) {
        throw insufficientStorage('low_disk_space', 'the server is low on disk space; try again later');
      }
    }
  }

  async usage(db: Kysely<DB>, ownerId: string): Promise<QuotaUsage> {
    return {
      usedBytes: await new MediaRepository(db).bytesOwnedBy(ownerId),
      maxUserBytes: this.options.maxUserBytes,
      maxFileSizeBytes: this.options.maxFileSizeBytes,
    };
  }
}
