import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error s3rver ships no type declarations
import S3rver from 's3rver';

/** Credentials s3rver checks signatures against. */
export const S3RVER_CREDENTIALS = { accessKey: 'S3RVER', secretKey: 'S3RVER' };

export interface TestS3Server {
  endpoint: string;
  /** Environment for a control plane storing in `bucket` of this server. */
  env(bucket: string): Record<string, string>;
  /** An `outputS3Bucket` setting naming `bucket` of this server. */
  outputBucket(bucket: string): { awsBucketName: string; awsEndPoint: string; awsAccessKey: string; awsSecreteKey: string };
  createBucket(bucket: string): Promise<void>;
  /** Empties and removes a bucket. */
  deleteBucket(bucket: string): Promise<void>;
  /** Keys in a bucket under a prefix. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  /** The object's size, or undefined when it is not there. */
  head(bucket: string, key: string): Promise<number | undefined>;
  /** Stops answering (connections refused) but keeps every object, as a store that went down. */
  halt(): Promise<void>;
  /** Starts again on the same port with the same objects. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real S3-protocol server (s3rver) on a free loopback port, with its files in a temporary
 * directory. It checks access key ids and presigned-URL expiry (not the SigV4 signatures
 * themselves: a wrong secret passes); it lacks
 * ListMultipartUploads and parses suffix ranges (`bytes=-N`) wrongly.
 */
export async function startS3Server(): Promise<TestS3Server> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-s3-'));
  let server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false });
  const address = (await server.run()) as AddressInfo;
  let running = true;
  const close = () =>
    new Promise<void>((resolve) => {
      if (!running) return resolve();
      running = false;
      server.close(() => resolve());
      // Keep-alive connections would hold the server open: a store that goes down drops them.
      (server as { httpServer?: { closeAllConnections(): void } }).httpServer?.closeAllConnections();
    });
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_CREDENTIALS.accessKey, secretAccessKey: S3RVER_CREDENTIALS.secretKey },
  });
  const keys = async (bucket: string, prefix = '') => {
    const answer = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (answer.Contents ?? []).map((o) => o.Key!);
  };
  return {
    outputBucket: (bucket) => ({
      awsBucketName: bucket,
      awsEndPoint: endpoint,
      awsAccessKey: S3RVER_CREDENTIALS.accessKey,
      awsSecreteKey: S3RVER_CREDENTIALS.secretKey,
    }),
    async createBucket(bucket) {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async deleteBucket(bucket) {
      for (const key of await keys(bucket)) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    },
    keys,
    async head(bucket, key) {
      try {
        return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength;
      } catch {
        return undefined;
      }
    },
    endpoint,
    env: (bucket) => ({
      STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY: S3RVER_CREDENTIALS.accessKey,
      S3_SECRET_KEY: S3RVER_CREDENTIALS.secretKey,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
    }),
    halt: close,
    async resume() {
      server = new S3rver({ address: '127.0.0.1', port: address.port, silent: true, directory, vhostBuckets: false });
      await server.run();
      running = true;
    },
    async stop() {
      client.destroy();
      await close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
