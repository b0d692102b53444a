import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { OutboundRefused, safeGet, type OutboundPolicy } from './safe-fetch.js';

/**
 * Moving bytes between a render node and URLs: downloads to a scratch file (from signed URLs of
 * our own store, or from outside URLs under the outbound policy) and uploads of a file to a
 * signed PUT URL. Streams only; progress as bytes move; limits enforced while streaming.
 */

export class TransferError extends Error {
  constructor(
    message: string,
    readonly code: 'http_status' | 'too_large' | 'network' | 'refused' | 'timeout',
    /** The HTTP status, for `http_status`. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Outside URLs are fetched under this policy; signed URLs of our own store need none. */
  policy?: OutboundPolicy;
  headers?: Record<string, string>;
  maxBytes?: number;
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
  /**
   * Give up when the server has not answered, or has sent nothing more, for this long (a server
   * that trickles or stalls cannot hold the download forever). Default: 30 s to answer, no
   * limit between bytes.
   */
  timeoutMs?: number;
}

export async function downloadToFile(url: string, file: string, options: DownloadOptions = {}): Promise<{ sizeBytes: number; contentType?: string }> {
  const policy = options.policy ?? { allowPrivate: true };
  let response;
  try {
    response = await safeGet(url, { policy, headers: options.headers, signal: options.signal, timeoutMs: options.timeoutMs });
  } catch (error) {
    if (options.signal?.aborted || error instanceof OutboundRefused) throw error;
    throw new TransferError(`GET ${redact(url)} failed: ${(error as Error).message}`, /within \d+ ms/.test((error as Error).message) ? 'timeout' : 'network');
  }
  if (response.status !== 200) {
    response.body.resume();
    throw new TransferError(`GET ${redact(url)} answered ${response.status}`, 'http_status', response.status);
  }
  const declared = Number(response.headers['content-length']);
  const totalBytes = Number.isFinite(declared) && declared >= 0 ? declared : undefined;
  if (options.maxBytes !== undefined && totalBytes !== undefined && totalBytes > options.maxBytes) {
    response.body.destroy();
    throw new TransferError(`the file is ${totalBytes} bytes, over the limit of ${options.maxBytes}`, 'too_large');
  }
  // A stall timer: reset by every chunk, it ends the download when the server goes quiet.
  const stalled = new AbortController();
  let stallTimer: NodeJS.Timeout | undefined;
  const armStall = () => {
    if (options.timeoutMs === undefined) return;
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => stalled.abort(), options.timeoutMs);
  };
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      armStall();
      received += chunk.length;
      if (options.maxBytes !== undefined && received > options.maxBytes) {
        callback(new TransferError(`the file is over the limit of ${options.maxBytes} bytes`, 'too_large'));
        return;
      }
      options.onProgress?.(received, totalBytes);
      callback(null, chunk);
    },
  });
  armStall();
  const signal = options.signal ? AbortSignal.any([options.signal, stalled.signal]) : stalled.signal;
  try {
    await pipeline(response.body, counter, fs.createWriteStream(file), { signal });
  } catch (error) {
    if (stalled.signal.aborted && !options.signal?.aborted) {
      throw new TransferError(`GET ${redact(url)}: nothing received for ${options.timeoutMs} ms (after ${received} bytes)`, 'timeout');
    }
    if (options.signal?.aborted || error instanceof TransferError) throw error;
    throw new TransferError(`GET ${redact(url)} failed after ${received} bytes: ${(error as Error).message}`, 'network');
  } finally {
    clearTimeout(stallTimer);
  }
  if (totalBytes !== undefined && received !== totalBytes) {
    throw new TransferError(`the download ended after ${received} of ${totalBytes} bytes`, 'network');
  }
  return { sizeBytes: received, contentType: response.headers['content-type'] };
}

export interface UploadOptions {
  contentType?: string;
  signal?: AbortSignal;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

/** PUTs a file to a signed URL with its length (S3 refuses chunked uploads without one). */
export async function uploadFile(url: string, file: string, options: UploadOptions = {}): Promise<{ sizeBytes: number }> {
  const { size } = await fs.promises.stat(file);
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    const req = client.request(target, {
      method: 'PUT',
      headers: { 'content-length': size, ...(options.contentType ? { 'content-type': options.contentType } : {}) },
      signal: options.signal,
    });
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.slice(0, 2000)));
      res.on('end', () => {
        if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) resolve();
        else reject(new TransferError(`PUT ${redact(url)} answered ${res.statusCode}: ${body.slice(0, 500)}`, 'http_status', res.statusCode));
      });
    });
    req.once('error', reject);
    const source = fs.createReadStream(file);
    source.on('data', (chunk) => {
      sent += chunk.length;
      options.onProgress?.(sent, size);
    });
    source.once('error', reject);
    source.pipe(req);
  });
  return { sizeBytes: size };
}

/** Signed URLs carry their signature in the query: never log it. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(bad URL)';
  }
}
