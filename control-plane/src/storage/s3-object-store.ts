import { Readable, Transform } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDisposition } from './content-disposition.js';
import { contentTypeFor } from './content-types.js';
import { ObjectNotFound, type ByteRange, type ObjectInfo, type ObjectStore, type SignedUrlOptions } from './object-store.js';

export interface S3ObjectStoreOptions {
  /** Unset: AWS. */
  endpoint?: string | undefined;
  /** Endpoint presigned browser URLs point at, when browsers reach the store elsewhere than the service does. */
  publicEndpoint?: string | undefined;
  bucket: string;
  region: string;
  accessKey?: string | undefined;
  secretKey?: string | undefined;
  forcePathStyle: boolean;
  /** Parts of multipart uploads of streams; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
  /** Told of every request the store failed (not of "no such object" answers), by operation. */
  onError?: (operation: string) => void;
}

/** Largest validity of a SigV4 presigned URL. */
const MAX_PRESIGN_S = 7 * 86_400;

/**
 * Objects in any S3-compatible store (AWS, MinIO, Ceph, ...), through AWS SDK v3. Streams of
 * unknown length go up as multipart uploads (lib-storage), which S3 publishes whole or not at
 * all; reads stream straight from the response. Signed URLs are SigV4 presigned URLs.
 */
export class S3ObjectStore implements ObjectStore {
  readonly driver = 's3' as const;
  private readonly client: S3Client;
  /** Used only to presign browser URLs for the public endpoint (signing is local, no requests). */
  private readonly publicClient: S3Client;

  constructor(private readonly options: S3ObjectStoreOptions) {
    this.client = new S3Client(clientConfig(options, options.endpoint));
    const onError = options.onError;
    if (onError) {
      this.client.middlewareStack.add(
        (next, context) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
            if (status !== 404) onError(String(context.commandName ?? 'unknown').replace(/Command$/, ''));
            throw error;
          }
        },
        { step: 'initialize', name: 'cutroomErrorCount' },
      );
    }
    this.publicClient = options.publicEndpoint ? new S3Client(clientConfig(options, options.publicEndpoint)) : this.client;
  }

  get bucket(): string {
    return this.options.bucket;
  }

  /** Creates the bucket when it does not exist (MinIO on a fresh install). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.options.bucket }));
      } catch (createError) {
        // Another replica made it meanwhile.
        if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((createError as Error).name)) throw createError;
      }
    }
  }

  async put(key: string, body: Readable | Buffer, options: { contentType?: string; sizeBytes?: number } = {}): Promise<ObjectInfo> {
    // Without a given type, the key's extension decides, so presigned reads come with the right one.
    const contentType = options.contentType ?? contentTypeFor(key);
    if (Buffer.isBuffer(body)) {
      if (options.sizeBytes !== undefined && body.length !== options.sizeBytes) {
        throw new Error(`object ${key}: expected ${options.sizeBytes} bytes, received ${body.length}`);
      }
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: contentType }));
      return { key, sizeBytes: body.length, contentType, modifiedAt: new Date() };
    }
    let written = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        done(null, chunk);
      },
    });
    let bodyError: Error | undefined;
    body.once('error', (error) => {
      bodyError = error;
      counted.destroy(error);
    });
    body.pipe(counted);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: key, Body: counted, ContentType: contentType },
      partSize: this.options.partSizeBytes ?? 8 * 2 ** 20,
      queueSize: 4,
      // A failed multipart upload is aborted, so no parts are left behind and nothing is published.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      body.destroy();
      // The reader's failure is the cause; an error from aborting the upload would only hide it.
      throw bodyError ?? error;
    }
    if (options.sizeBytes !== undefined && written !== options.sizeBytes) {
      await this.delete(key);
      throw new Error(`object ${key}: expected ${options.sizeBytes} bytes, received ${written}`);
    }
    return { key, sizeBytes: written, contentType, modifiedAt: new Date() };
  }

  async get(key: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo }> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      const total = totalSize(answer.ContentRange) ?? answer.ContentLength ?? 0;
      return {
        body: answer.Body as Readable,
        info: { key, sizeBytes: total, contentType: answer.ContentType, modifiedAt: answer.LastModified },
      };
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFound(key);
      if (statusOf(error) === 416 && range) {
        // Asked past the end: the object exists, the slice is empty (as the fs driver answers).
        const info = await this.head(key);
        if (!info) throw new ObjectNotFound(key);
        return { body: Readable.from([]), info };
      }
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { key, sizeBytes: answer.ContentLength ?? 0, contentType: answer.ContentType, modifiedAt: answer.LastModified };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    let count = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const answer = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.options.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = answer.Errors ?? [];
      if (failed.length > 0) throw new Error(`could not delete ${failed.length} objects under ${prefix}: ${failed[0]?.Message ?? ''}`);
      count += batch.length;
      batch = [];
    };
    for await (const object of this.list(prefix)) {
      batch.push(object.key);
      if (batch.length === 1000) await flush();
    }
    await flush();
    return count;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, sizeBytes: object.Size ?? 0, modifiedAt: object.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async signedGetUrl(key: string, options: SignedUrlOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.options.bucket,
      Key: key,
      ResponseContentType: options.contentType,
      ResponseContentDisposition: options.downloadName ? contentDisposition(options.downloadName) : undefined,
      ResponseCacheControl: `private, max-age=${Math.floor(options.expiresInS)}`,
    });
    return getSignedUrl(this.clientFor(options), command, presignArguments(options));
  }

  async signedPutUrl(key: string, options: SignedUrlOptions): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.options.bucket, Key: key, ContentType: options.contentType });
    return getSignedUrl(this.clientFor(options), command, presignArguments(options));
  }

  destroy(): void {
    this.client.destroy();
    if (this.publicClient !== this.client) this.publicClient.destroy();
  }

  private clientFor(options: SignedUrlOptions): S3Client {
    return (options.audience ?? 'browser') === 'browser' ? this.publicClient : this.client;
  }
}

function clientConfig(options: S3ObjectStoreOptions, endpoint: string | undefined): S3ClientConfig {
  return {
    region: options.region,
    endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.accessKey && options.secretKey ? { accessKeyId: options.accessKey, secretAccessKey: options.secretKey } : undefined,
    // Checksums only where S3 demands them: many S3-compatible stores reject the newer
    // checksum headers and aws-chunked bodies the SDK otherwise sends on every upload.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

function presignArguments(options: SignedUrlOptions): { expiresIn: number; signingDate?: Date } {
  const issuedAt = options.issuedAt;
  const expiresIn = Math.min(MAX_PRESIGN_S, Math.ceil(options.expiresInS));
  return issuedAt ? { expiresIn, signingDate: issuedAt } : { expiresIn };
}

function totalSize(contentRange: string | undefined): number | undefined {
  const match = contentRange ? /\/(\d+)$/.exec(contentRange) : null;
  return match ? Number(match[1]) : undefined;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as Error).name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}
