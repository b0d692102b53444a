import type { Kysely } from 'kysely';
import { DevelopersRepository } from '../../db/developers-repository.js';
import type { DB, OutputBucket } from '../../db/schema.js';
import { DeveloperBucket } from '../../integrator-systems/developer-bucket.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { ObjectDeletionQueue } from '../library/object-deletion-queue.js';
import type { StoredRenderSpec } from './render-task-spec.js';

/**
 * Where a render's outputs are, for whoever asks: signed links (`outputUrls`, the callback's
 * `downloadUrl`) into the developer's bucket when the outputs went there, else into the media
 * store; and removal of the stored outputs when a render fails or is stopped.
 */

export interface RenderDeliveryOptions {
  /** Validity of outputUrls and downloadUrl. */
  outputUrlTtlS: number;
}

export class RenderDelivery {
  private readonly developers: DevelopersRepository;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly storage: ObjectStore,
    private readonly deletions: ObjectDeletionQueue,
    private readonly options: RenderDeliveryOptions,
  ) {
    this.developers = new DevelopersRepository(db);
  }

  /**
   * The developer's bucket of a render, while the developer still has that bucket (same name and
   * endpoint; its keys may have been rotated). Undefined when outputs do not go to a bucket.
   */
  async bucketOf(spec: StoredRenderSpec, db: Kysely<DB> = this.db): Promise<DeveloperBucket | undefined> {
    if (!spec.bucket) return undefined;
    const settings: OutputBucket | null | undefined = await this.developers.outputBucketOf(spec.bucket.developerId, db);
    if (!settings || settings.awsBucketName !== spec.bucket.name || (settings.awsEndPoint ?? null) !== spec.bucket.endpoint) return undefined;
    return new DeveloperBucket(settings);
  }

  /**
   * One link per output, in group order. Links of one output stay the same for a while (their
   * validity starts at the beginning of a window), so a client polling the status can cache them.
   */
  async outputUrls(spec: StoredRenderSpec, db: Kysely<DB> = this.db): Promise<string[]> {
    const ttl = this.options.outputUrlTtlS;
    const windowS = Math.max(60, Math.floor(ttl / 4));
    const issuedAt = new Date(Math.floor(Date.now() / 1000 / windowS) * windowS * 1000);
    const expiresInS = Math.min(ttl + windowS, 7 * 86_400);
    const bucket = await this.bucketOf(spec, db);
    try {
      return await Promise.all(
        spec.outputs.map((output) =>
          bucket && output.bucketKey
            ? bucket.presignGet(output.bucketKey, { expiresInS, issuedAt, downloadName: output.name })
            : this.storage.signedGetUrl(output.key, { expiresInS, issuedAt, contentType: output.contentType, downloadName: output.name }),
        ),
      );
    } finally {
      bucket?.destroy();
    }
  }

  /** Removes what a render stored (media store and developer bucket); rows are the caller's. */
  async removeObjects(spec: StoredRenderSpec): Promise<void> {
    const queued = await this.deletions.enqueue(
      this.db,
      spec.outputs.map((output) => ({ key: output.key, isPrefix: false })),
    );
    await this.deletions.drain(queued);
    const bucket = await this.bucketOf(spec);
    if (!bucket) return;
    try {
      // The developer's bucket is theirs: a delete that fails is not retried later.
      await Promise.all(spec.outputs.map((o) => (o.bucketKey ? bucket.delete(o.bucketKey).catch(() => undefined) : undefined)));
    } finally {
      bucket.destroy();
    }
  }
}
