import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ObjectNotFound, type ObjectInfo, type ObjectStore } from '../storage/object-store.js';
import { contentDisposition } from '../storage/content-disposition.js';
import { HttpError, notFound } from './errors.js';
import { parseRange } from './byte-range.js';

export interface SendObjectOptions {
  /** Overrides the stored type (a signed URL may fix it). */
  contentType?: string | undefined;
  downloadName?: string | undefined;
  /** How long caches may keep the answer (the rest of the URL's validity). */
  maxAgeS: number;
}

/**
 * Answers a GET or HEAD for a stored object the way media elements need: `Accept-Ranges`, one
 * byte range as 206 with `Content-Range`, 416 with `Content-Range: bytes *\/size` past the end,
 * validators (`ETag`, `Last-Modified`) with `If-None-Match` → 304 and `If-Range`, and
 * `Cache-Control`. The body streams from the store.
 */
export async function sendObject(req: Request, res: Response, store: ObjectStore, key: string, options: SendObjectOptions): Promise<void> {
  const info = await store.head(key);
  if (!info) throw notFound('no such object');
  const etag = entityTag(info);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', etag);
  if (info.modifiedAt) res.setHeader('Last-Modified', info.modifiedAt.toUTCString());
  res.setHeader('Cache-Control', `private, max-age=${Math.max(0, Math.floor(options.maxAgeS))}`);
  res.setHeader('Content-Type', options.contentType ?? info.contentType ?? 'application/octet-stream');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (options.downloadName) res.setHeader('Content-Disposition', contentDisposition(options.downloadName));

  if (matchesAny(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return;
  }
  // If-Range: a range of a changed object would splice two versions; send it whole instead.
  const ifRange = req.get('if-range');
  const rangeHeader = ifRange === undefined || ifRange === etag ? req.get('range') : undefined;
  const range = parseRange(rangeHeader, info.sizeBytes);
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${info.sizeBytes}`);
    throw new HttpError(416, 'range_not_satisfiable', `the object has ${info.sizeBytes} bytes`, 'Range not satisfiable');
  }
  const slice = range.kind === 'partial' ? { start: range.start, end: range.end } : undefined;
  if (slice) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${slice.start}-${slice.end}/${info.sizeBytes}`);
    res.setHeader('Content-Length', String(slice.end - slice.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(info.sizeBytes));
  }
  if (req.method === 'HEAD' || info.sizeBytes === 0) {
    res.end();
    return;
  }
  let body;
  try {
    ({ body } = await store.get(key, slice));
  } catch (error) {
    // Deleted between the head and the read.
    if (error instanceof ObjectNotFound) throw notFound('no such object');
    throw error;
  }
  try {
    await pipeline(body, res);
  } catch (error) {
    // The reader went away mid-body (a seek in the player): nothing to answer, nothing to log.
    if (res.destroyed || req.destroyed) return;
    throw error;
  }
}

function entityTag(info: ObjectInfo): string {
  return `"${info.sizeBytes.toString(16)}-${(info.modifiedAt?.getTime() ?? 0).toString(16)}"`;
}

function matchesAny(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim().replace(/^W\//, '');
    return trimmed === '*' || trimmed === etag;
  });
}
