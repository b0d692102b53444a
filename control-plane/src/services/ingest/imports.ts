import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checkOutboundUrl, OutboundRefused } from '@cutroom/render-node';
import { badRequest } from '../../http/errors.js';
import type { FolderService } from '../library/folders.js';
import type { IngestService } from './ingest.js';
import { mediaFormatOf } from '../library/media-formats.js';
import type { MediaService } from '../library/media.js';

/**
 * Imports: a file at a URL, or every media file of an S3 bucket. Each becomes a media entry
 * (`type: url`, `status: import`) and an `import_url` task that downloads and ingests it.
 */

export interface ImportOptions {
  allowPrivateUrls: boolean;
  /** Most objects one bucket import takes. */
  maxBucketObjects: number;
}

export interface BucketRequest {
  awsAccessKey: string;
  awsSecreteKey: string;
  awsBucketName: string;
  awsEndPoint?: string | undefined;
  awsRegion?: string | undefined;
}

/** Presigned GET URLs for the bucket's objects last the longest SigV4 allows: the imports may wait in a queue. */
const PRESIGN_LIFETIME_S = 7 * 86_400;

export class ImportService {
  constructor(
    private readonly media: MediaService,
    private readonly folders: FolderService,
    private readonly ingest: IngestService,
    private readonly options: ImportOptions,
  ) {}

  /** `folder`: a folder id, or null for the root. */
  async importUrl(ownerId: string, request: { url: string; folder: string | null }): Promise<{ id: string }> {
    const url = this.checked('url', request.url);
    const name = nameFromUrl(url);
    const format = mediaFormatOf(name);
    const row = await this.media.create({
      ownerId,
      folderId: request.folder,
      name,
      type: 'url',
      status: 'import',
      // Until the probe says, a URL without a telling extension is taken for a video.
      ...(format ? {} : { filetype: 'mp4', mediaType: 'video' }),
      source: url.toString(),
    });
    const { maxFileSizeBytes } = await this.media.quotaUsage(ownerId);
    await this.ingest.startImport(row, url.toString(), maxFileSizeBytes || undefined);
    return { id: row.id };
  }

  /**
   * Lists the bucket with the given keys (bad keys or a missing bucket fail at once), makes a
   * folder named after it, and an import per media object.
   */
  async importBucket(ownerId: string, request: BucketRequest): Promise<{ id: string; error: string }> {
    if (request.awsEndPoint) this.checked('awsEndPoint', request.awsEndPoint);
    const client = new S3Client({
      region: request.awsRegion ?? 'us-east-1',
      endpoint: request.awsEndPoint,
      forcePathStyle: request.awsEndPoint !== undefined,
      credentials: { accessKeyId: request.awsAccessKey, secretAccessKey: request.awsSecreteKey },
    });
    try {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: request.awsBucketName, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key && mediaFormatOf(object.Key)) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && keys.length < this.options.maxBucketObjects);
      const folder = await this.folders.create(ownerId, request.awsBucketName, null);
      for (const key of keys.slice(0, this.options.maxBucketObjects)) {
        const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: request.awsBucketName, Key: key }), {
          expiresIn: PRESIGN_LIFETIME_S,
        });
        const row = await this.media.create({
          ownerId,
          folderId: folder.id,
          name: path.posix.basename(key),
          type: 'url',
          status: 'import',
          source: `s3://${request.awsBucketName}/${key}`,
        });
        await this.ingest.startImport(row, url, undefined);
      }
      return { id: folder.id, error: '' };
    } catch (error) {
      if ((error as { $metadata?: unknown }).$metadata !== undefined || (error as Error).name === 'CredentialsProviderError') {
        throw new BucketRefused(`the bucket ${request.awsBucketName} could not be listed: ${(error as Error).name}: ${(error as Error).message}`);
      }
      throw error;
    } finally {
      client.destroy();
    }
  }

  private checked(field: string, raw: string): URL {
    try {
      return checkOutboundUrl(raw, { allowPrivate: this.options.allowPrivateUrls });
    } catch (error) {
      if (error instanceof OutboundRefused) throw badRequest(`${field}: ${error.message}`);
      throw error;
    }
  }
}

/** A bucket that cannot be listed: answered in the editor API's `{id, error}` shape. */
export class BucketRefused extends Error {}

/**
 * The file name the URL ends with, decoded. Escapes are decoded run by run, so that a `%` that
 * escapes nothing (`100%%20off.mp4`) stays a `%` instead of failing the whole name.
 */
function nameFromUrl(url: URL): string {
  const raw = url.pathname.split('/').filter(Boolean).pop() ?? '';
  const last = raw.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      // Not UTF-8 as a whole: ASCII escapes are decoded, the others left as written.
      return run.replace(/%([0-7][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
  });
  return last.trim() || url.hostname;
}
