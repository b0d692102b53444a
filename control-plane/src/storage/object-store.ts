import type { Readable } from 'node:stream';

/**
 * Where bytes live: media originals, proxies, thumbnail packs, render outputs, upload staging.
 * Two drivers implement it: `fs` (files under DATA_DIR, the embedded default) and `s3` (any
 * S3-compatible store). Keys are opaque paths made by the services (`media/<owner>/<id>/...`),
 * never from user-given names. Bodies stream in and out; nothing holds a whole file in memory.
 */

export interface ObjectInfo {
  key: string;
  sizeBytes: number;
  contentType?: string | undefined;
  modifiedAt?: Date | undefined;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface SignedUrlOptions {
  expiresInS: number;
  /** Content type the reader is served with (GET) or the writer must send (PUT). */
  contentType?: string | undefined;
  /** Suggested download name (Content-Disposition), for GET. */
  downloadName?: string | undefined;
  /**
   * When the URL's validity starts (default: now); it expires `expiresInS` later. Callers round
   * it to a window so that repeated calls give the very same URL, which browsers then cache.
   */
  issuedAt?: Date | undefined;
  /**
   * Who will use the URL: `browser` (default) gets the public address (PUBLIC_URL, or
   * S3_PUBLIC_ENDPOINT when set), `internal` the one render nodes reach (INTERNAL_URL, S3_ENDPOINT).
   */
  audience?: 'browser' | 'internal' | undefined;
}

export interface ObjectStore {
  readonly driver: 'fs' | 's3';

  /** Stores a whole object; a crash mid-write never leaves a partial object under `key`. */
  put(key: string, body: Readable | Buffer, options?: { contentType?: string; sizeBytes?: number }): Promise<ObjectInfo>;

  /** Reads an object or a byte range of it; rejects with `ObjectNotFound` when missing. */
  get(key: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo }>;

  /** The object's size and type, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;

  /** Removes an object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;

  /** Removes every object whose key starts with `prefix`; answers how many. */
  deletePrefix(prefix: string): Promise<number>;

  /** Every object under a prefix. */
  list(prefix: string): AsyncIterable<ObjectInfo>;

  /** A URL anyone holding it can GET (with Range) until it expires. */
  signedGetUrl(key: string, options: SignedUrlOptions): Promise<string>;

  /**
   * The object's path on this machine's disk, when the driver keeps objects there (`fs`), so
   * local readers such as ffmpeg can seek in it without going through HTTP.
   */
  localPath?(key: string): string;

  /**
   * A directory on the same filesystem as `localPath`'s files (`fs`), where a local writer may
   * make a file and then rename it to an object's path, publishing it whole.
   */
  localStagingDir?(): string;

  /** A URL anyone holding it can PUT the object's bytes to until it expires (render nodes). */
  signedPutUrl(key: string, options: SignedUrlOptions): Promise<string>;
}

export class ObjectNotFound extends Error {
  constructor(readonly key: string) {
    super(`no object ${key}`);
    this.name = 'ObjectNotFound';
  }
}
