import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { contentTypeFor } from './content-types.js';
import { ObjectNotFound, type ByteRange, type ObjectInfo, type ObjectStore, type SignedUrlOptions } from './object-store.js';
import type { UrlSigner } from './signed-url.js';

export interface FsObjectStoreOptions {
  /** Directory holding the objects (DATA_DIR/objects). */
  root: string;
  signer: UrlSigner;
  /** Base URL of the control plane for an audience; read at signing time (the port may be chosen at listen). */
  baseUrl: (audience: 'browser' | 'internal') => string;
}

/** Staging directory for writes in progress, inside the root so that rename stays on one filesystem. */
const STAGING = '.staging';

/**
 * Objects as plain files under one directory: the key is the relative path. Writes go to a
 * staging file, are flushed to disk, then renamed into place, so a reader or a crash never sees
 * half an object. Signed URLs point at the control plane's own `/files` route.
 */
export class FsObjectStore implements ObjectStore {
  readonly driver = 'fs' as const;

  constructor(private readonly options: FsObjectStoreOptions) {}

  get root(): string {
    return this.options.root;
  }

  async put(key: string, body: Readable | Buffer, options: { contentType?: string; sizeBytes?: number } = {}): Promise<ObjectInfo> {
    const target = this.pathOf(key);
    const stagingDir = path.join(this.options.root, STAGING);
    await fsp.mkdir(stagingDir, { recursive: true });
    const temp = path.join(stagingDir, `${randomBytes(12).toString('hex')}.part`);
    let written = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        done(null, chunk);
      },
    });
    try {
      // flush: the bytes reach the disk before the rename publishes them.
      const file = fs.createWriteStream(temp, { flags: 'wx', mode: 0o644, flush: true });
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, counter, file);
      if (options.sizeBytes !== undefined && written !== options.sizeBytes) {
        throw new Error(`object ${key}: expected ${options.sizeBytes} bytes, received ${written}`);
      }
      await this.renameIntoPlace(temp, target);
    } catch (error) {
      await fsp.rm(temp, { force: true });
      throw error;
    }
    return { key, sizeBytes: written, contentType: contentTypeFor(key), modifiedAt: new Date() };
  }

  async get(key: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo }> {
    const file = this.pathOf(key);
    // Opened first and read through the descriptor: the bytes stay those of the object stat'ed,
    // even when a new version is renamed over it meanwhile. A plain descriptor, not a FileHandle:
    // a stream its reader drops without destroying must not become a crash when collected.
    const fd = await promisify(fs.open)(file, 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' || error.code === 'EISDIR' || error.code === 'ENOTDIR' ? new ObjectNotFound(key) : error;
    });
    const close = () => fs.close(fd, () => {});
    try {
      const stat = await promisify(fs.fstat)(fd);
      if (!stat.isFile()) throw new ObjectNotFound(key);
      const info = { key, sizeBytes: stat.size, contentType: contentTypeFor(key), modifiedAt: stat.mtime };
      const streamRange = range ? { start: range.start, end: Math.min(range.end, stat.size - 1) } : {};
      if (range && (range.start > range.end || range.start >= stat.size)) {
        close();
        return { body: Readable.from([]), info };
      }
      return { body: fs.createReadStream('', { fd, ...streamRange, autoClose: true }), info };
    } catch (error) {
      close();
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const stat = await fsp.stat(this.pathOf(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!stat?.isFile()) return undefined;
    return { key, sizeBytes: stat.size, contentType: contentTypeFor(key), modifiedAt: stat.mtime };
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    await fsp.rm(file, { force: true });
    await this.pruneEmptyParents(path.dirname(file));
  }

  async deletePrefix(prefix: string): Promise<number> {
    let count = 0;
    for await (const object of this.list(prefix)) {
      await this.delete(object.key);
      count += 1;
    }
    return count;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the directory the prefix names (its part up to the last slash), in key order like S3.
    const dirPart = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    if (dirPart !== '') this.pathOf(dirPart.slice(0, -1));
    yield* this.walk(dirPart, prefix);
  }

  async signedGetUrl(key: string, options: SignedUrlOptions): Promise<string> {
    this.pathOf(key);
    return this.options.signer.url(this.options.baseUrl(options.audience ?? 'browser'), {
      method: 'GET',
      key,
      expiresAtS: expiresAtS(options),
      contentType: options.contentType,
      downloadName: options.downloadName,
    });
  }

  async signedPutUrl(key: string, options: SignedUrlOptions): Promise<string> {
    this.pathOf(key);
    return this.options.signer.url(this.options.baseUrl(options.audience ?? 'browser'), {
      method: 'PUT',
      key,
      expiresAtS: expiresAtS(options),
      contentType: options.contentType,
    });
  }

  /** The file of a key; refuses keys that could name anything outside the root. */
  localPath(key: string): string {
    return this.pathOf(key);
  }

  localStagingDir(): string {
    return path.join(this.options.root, STAGING);
  }

  /**
   * Removes what dead writers left in the staging directory: the `.part` file of a write cut off
   * by a crash, the work directory (`render-*`) of a render node that was killed. An entry is
   * taken for dead when nothing in it has changed for `maxAgeMs`: a write or a render in progress
   * touches its files far more often. Answers how many entries were removed.
   */
  async sweepStaging(maxAgeMs: number, nowMs = Date.now()): Promise<number> {
    const stagingDir = this.localStagingDir();
    const entries = await fsp.readdir(stagingDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    let removed = 0;
    for (const name of entries) {
      const entry = path.join(stagingDir, name);
      const changedMs = await lastChangeMs(entry);
      if (changedMs === undefined || nowMs - changedMs <= maxAgeMs) continue;
      await fsp.rm(entry, { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  }

  pathOf(key: string): string {
    if (!isSafeKey(key)) throw new Error(`invalid object key ${JSON.stringify(key)}`);
    return path.join(this.options.root, ...key.split('/'));
  }

  private async *walk(relDir: string, prefix: string): AsyncIterable<ObjectInfo> {
    const dir = path.join(this.options.root, ...relDir.split('/').filter(Boolean));
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    // S3 lists in key order; a directory `a` sorts as `a/` among its siblings.
    const named = entries
      .filter((entry) => !(relDir === '' && entry.name === STAGING))
      .map((entry) => ({ entry, sortKey: entry.isDirectory() ? `${entry.name}/` : entry.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { entry } of named) {
      const key = `${relDir}${entry.name}`;
      if (entry.isDirectory()) {
        const sub = `${key}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) yield* this.walk(sub, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const stat = await fsp.stat(path.join(dir, entry.name)).catch(() => undefined);
        if (stat) yield { key, sizeBytes: stat.size, contentType: contentTypeFor(key), modifiedAt: stat.mtime };
      }
    }
  }

  private async renameIntoPlace(temp: string, target: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await fsp.mkdir(path.dirname(target), { recursive: true });
      try {
        await fsp.rename(temp, target);
        return;
      } catch (error) {
        // A concurrent delete may prune the freshly made directory; make it again.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error;
      }
    }
  }

  /** Removes directories left empty by a delete, up to the root, so the tree does not fill with husks. */
  private async pruneEmptyParents(dir: string): Promise<void> {
    const root = path.resolve(this.options.root);
    let current = path.resolve(dir);
    while (current.startsWith(`${root}${path.sep}`)) {
      try {
        await fsp.rmdir(current);
      } catch {
        return;
      }
      current = path.dirname(current);
    }
  }
}

/** The latest modification time of a file, or of a directory and everything in it; undefined once gone. */
async function lastChangeMs(entry: string): Promise<number | undefined> {
  const stat = await fsp.lstat(entry).catch(() => undefined);
  if (!stat) return undefined;
  let latest = stat.mtimeMs;
  if (stat.isDirectory()) {
    const names = await fsp.readdir(entry).catch(() => []);
    for (const name of names) latest = Math.max(latest, (await lastChangeMs(path.join(entry, name))) ?? 0);
  }
  return latest;
}

export function expiresAtS(options: SignedUrlOptions): number {
  const issuedMs = options.issuedAt?.getTime() ?? Date.now();
  return Math.floor(issuedMs / 1000) + Math.ceil(options.expiresInS);
}

/** Relative, slash-separated, no empty, dot or dot-led segments, no backslashes or control characters. */
export function isSafeKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(key)) return false;
  return key.split('/').every((segment) => segment.length > 0 && !segment.startsWith('.'));
}
