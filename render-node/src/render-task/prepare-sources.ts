import fs from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedSource } from '../engine/sources.js';
import { RenderError } from '../engine/render-error.js';
import { FfmpegError } from '../ffmpeg/errors.js';
import type { FfprobeResult } from '../ffmpeg/ffprobe.js';
import { mediaInfoFromRawProbe, probeMediaInfo, type MediaInfo } from '../ffmpeg/media-info.js';
import { OutboundRefused } from '../net/safe-fetch.js';
import { downloadToFile, redact, TransferError } from '../net/transfer.js';
import { TaskFailure } from '../worker/task-handler.js';
import type { RenderSourceSpec } from './render-spec.js';

/**
 * Makes every source of a render readable and probed before the engine starts: stored media are
 * described from their ingest's probe, or probed where they are when there is none (ffmpeg will
 * read them over HTTP with Range requests), developer media
 * are downloaded into scratch (once each, whatever the number of clips using them), inline files
 * are written out. Failures name the source and carry the editor API's error types: a developer file
 * that cannot be fetched, or is not media, is a `download_error`.
 */

export interface PrepareOptions {
  scratchDir: string;
  signal: AbortSignal;
  /** Download progress across all downloads, 0 to 1. */
  onDownloadProgress(fraction: number): void;
  log(line: string): void;
}

export async function prepareSources(specs: Record<string, RenderSourceSpec>, options: PrepareOptions): Promise<Map<string, ResolvedSource>> {
  const entries = Object.entries(specs);
  const downloads = entries.filter(([, spec]) => spec.kind === 'download');
  const fractions = new Map<string, number>(downloads.map(([src]) => [src, 0]));
  const report = (src: string, fraction: number) => {
    fractions.set(src, fraction);
    options.onDownloadProgress([...fractions.values()].reduce((a, b) => a + b, 0) / Math.max(1, fractions.size));
  };
  const resolved = new Map<string, ResolvedSource>();
  // Downloads first, so that the `downloading` stage comes before anything else; the others
  // (probes of stored media) all at once.
  const ordered = [...downloads, ...entries.filter(([, spec]) => spec.kind !== 'download')];
  const prepare = ([src, spec]: [string, RenderSourceSpec], index: number) =>
    prepareOne(src, spec, path.join(options.scratchDir, `source-${index}`), options, (f) => report(src, f));
  for (const [index, entry] of ordered.entries()) {
    if (entry[1].kind !== 'download') break;
    options.signal.throwIfAborted();
    resolved.set(entry[0], await prepare(entry, index));
  }
  options.signal.throwIfAborted();
  const rest = ordered.slice(downloads.length);
  const probed = await Promise.all(rest.map((entry, i) => prepare(entry, downloads.length + i)));
  rest.forEach(([src], i) => resolved.set(src, probed[i]!));
  // The map keeps the work order's order of sources.
  return new Map(entries.map(([src]) => [src, resolved.get(src)!]));
}

async function prepareOne(
  src: string,
  spec: RenderSourceSpec,
  fileBase: string,
  options: PrepareOptions,
  onProgress: (fraction: number) => void,
): Promise<ResolvedSource> {
  switch (spec.kind) {
    case 'missing':
      throw new TaskFailure({ type: 'engine_error', code: 'source_unreadable', message: `source "${src}": ${spec.reason}` });
    case 'url':
      return { input: spec.url, probe: storedProbe(spec.probe) ?? (await probe(src, spec.url, options.signal, 'engine_error')) };
    case 'file':
      return { input: spec.path, probe: storedProbe(spec.probe) ?? (await probe(src, spec.path, options.signal, 'engine_error')) };
    case 'inline': {
      const file = `${fileBase}.${spec.extension}`;
      await fs.writeFile(file, Buffer.from(spec.base64, 'base64'));
      return { input: file, probe: await probe(src, file, options.signal, 'engine_error') };
    }
    case 'download': {
      const file = `${fileBase}${extensionOf(spec.url)}`;
      const startedMs = Date.now();
      try {
        const { sizeBytes } = await downloadToFile(spec.url, file, {
          policy: spec.policy,
          timeoutMs: spec.timeoutMs,
          maxBytes: spec.maxBytes,
          signal: options.signal,
          onProgress: (received, total) => onProgress(total ? received / total : 0),
        });
        onProgress(1);
        options.log(`source "${src}": downloaded ${sizeBytes} bytes from ${redact(spec.url)} in ${Date.now() - startedMs} ms`);
      } catch (error) {
        if (options.signal.aborted) throw error;
        throw downloadFailure(src, spec.url, error);
      }
      return { input: file, probe: await probe(src, file, options.signal, 'download_error') };
    }
  }
}

/** The media described from ffprobe's answer at ingest; undefined (probe it again) when there is none or it does not describe media. */
function storedProbe(raw: FfprobeResult | undefined): MediaInfo | undefined {
  if (!raw) return undefined;
  try {
    return mediaInfoFromRawProbe(raw);
  } catch {
    return undefined;
  }
}

async function probe(src: string, input: string, signal: AbortSignal, type: 'engine_error' | 'download_error') {
  try {
    return await probeMediaInfo(input, { signal });
  } catch (error) {
    if (signal.aborted) throw error;
    // A signed URL is a credential: the message names the object, not the signature.
    const reason = (error instanceof FfmpegError ? lastLine(error.stderrTail) || error.message : (error as Error).message).split(input).join(redact(input));
    if (type === 'download_error') {
      throw new TaskFailure({ type, code: 'unsupported_media', message: `source "${src}": the file downloaded is not media ffmpeg can read (${reason})` });
    }
    // The object store down or overloaded is worth another attempt; a file ffmpeg cannot read is not.
    const transient = /^https?:/.test(input) && TRANSIENT_READ_FAILURE.test(reason);
    throw new TaskFailure({ type, code: 'source_unreadable', message: `source "${src}" could not be read: ${reason}` }, transient);
  }
}

export const TRANSIENT_READ_FAILURE = /Connection refused|Connection reset|Connection timed out|timed out|Server returned 5\d\d|Service Unavailable/i;

/** Retry only what another attempt could fix: server errors, dropped connections, timeouts. */
function downloadFailure(src: string, url: string, error: unknown): TaskFailure {
  const where = `source "${src}" (${redact(url)})`;
  if (error instanceof OutboundRefused) {
    return new TaskFailure({ type: 'download_error', code: 'url_refused', message: `${where}: ${error.message}` });
  }
  if (error instanceof TransferError) {
    const code = error.code === 'too_large' ? 'exceeded_file_size' : error.code === 'timeout' ? 'download_timeout' : 'download_failed';
    const retryable = error.code === 'network' || error.code === 'timeout' || (error.status !== undefined && error.status >= 500);
    return new TaskFailure({ type: 'download_error', code, message: `${where}: ${error.message}` }, retryable);
  }
  return new TaskFailure({ type: 'download_error', code: 'download_failed', message: `${where}: ${(error as Error).message}` }, true);
}

function extensionOf(url: string): string {
  try {
    const match = /\.([a-z0-9]{1,5})$/i.exec(new URL(url).pathname);
    return match ? `.${match[1]!.toLowerCase()}` : '';
  } catch {
    return '';
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}

/** The engine's `resolveSource` over the sources a work order named: any other is refused. */
export function sourceFromWorkOrder(sources: Map<string, ResolvedSource>): (src: string) => Promise<ResolvedSource> {
  return async (src) => {
    const source = sources.get(src);
    if (!source) throw new RenderError('source_unreadable', `source "${src}" is not in the work order`);
    return source;
  };
}
