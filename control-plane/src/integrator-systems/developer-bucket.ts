import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { OutputBucket } from '../db/schema.js';
import { contentDisposition } from '../storage/content-disposition.js';

/**
 * A developer's output bucket (`outputS3Bucket`): render outputs go there as well as into the
 * media library. The control plane only presigns (the render node uploads with a presigned PUT
 * and holds no keys) and deletes; the one request it makes itself is the reachability check when
 * an administrator saves the bucket.
 */

/** Largest validity of a SigV4 presigned URL. */
const MAX_PRESIGN_S = 7 * 86_400;

export class BucketUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BucketUnreachable';
  }
}

export class DeveloperBucket {
  private readonly client: S3Client;

  constructor(
    readonly settings: OutputBucket,
    options: { timeoutMs?: number } = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.client = new S3Client({
      region: settings.awsRegion ?? 'us-east-1',
      endpoint: settings.awsEndPoint,
      // S3-compatible stores (MinIO, Ceph...) at their own endpoint want path-style addressing.
      forcePathStyle: settings.awsEndPoint !== undefined,
      credentials: { accessKeyId: settings.awsAccessKey, secretAccessKey: settings.awsSecreteKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
  }

  get name(): string {
    return this.settings.awsBucketName;
  }

  /** Where the output of group `index` of a render goes: readable, and unique per task. */
  static outputKey(taskId: string, outputName: string, index: number, groups: number): string {
    const safe =
      outputName
        .replace(/[^A-Za-z0-9._-]+/g, '_')
        .replace(/^[._]+/, '')
        .slice(0, 150) || 'output';
    return `renders/${taskId}/${groups > 1 ? `${index + 1}-` : ''}${safe}`;
  }

  presignPut(key: string, contentType: string, expiresInS: number): Promise<string> {
    return getSignedUrl(this.client, new PutObjectCommand({ Bucket: this.name, Key: key, ContentType: contentType }), {
      expiresIn: Math.min(MAX_PRESIGN_S, Math.ceil(expiresInS)),
    });
  }

  presignGet(key: string, options: { expiresInS: number; downloadName?: string; issuedAt?: Date }): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.name,
      Key: key,
      ResponseContentDisposition: options.downloadName ? contentDisposition(options.downloadName) : undefined,
    });
    return getSignedUrl(this.client, command, {
      expiresIn: Math.min(MAX_PRESIGN_S, Math.ceil(options.expiresInS)),
      ...(options.issuedAt ? { signingDate: options.issuedAt } : {}),
    });
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key }));
  }

  /**
   * Whether renders could be delivered with these settings: writes a small object, reads its
   * head back (outputUrls are presigned GETs) and deletes it. Write-only keys fail here, as
   * they would fail the links given to the developer. A refused delete is tolerated (the object
   * says what it is).
   */
  async check(): Promise<void> {
    const key = `.cutroom-check/${randomUUID()}.txt`;
    const where = `bucket "${this.name}"${this.settings.awsEndPoint ? ` at ${this.settings.awsEndPoint}` : ''}`;
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.name,
          Key: key,
          Body: 'written by Cutroom to check that render outputs can be stored here; safe to delete\n',
          ContentType: 'text/plain',
        }),
      );
    } catch (error) {
      throw new BucketUnreachable(`cannot write to ${where} with the given keys: ${describe(error)}`);
    }
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: key }));
    } catch (error) {
      throw new BucketUnreachable(`can write to ${where} but not read back what was written (outputUrls would not work): ${describe(error)}`);
    }
    await this.delete(key).catch(() => undefined);
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** The SDK's error name (NoSuchBucket, InvalidAccessKeyId...) and message, or the network error. */
function describe(error: unknown): string {
  const e = error as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name && e.name !== 'Error' && e.name !== 'UnknownError' ? e.name : (e.code ?? '');
  const message = e.message && e.message !== name ? e.message : '';
  return [status ? `HTTP ${status}` : '', name, message].filter(Boolean).join(' ') || String(error);
}
