import path from 'node:path';
import { ffprobe, FfmpegError, runFfmpeg } from '../ffmpeg/index.js';
import { downloadToFile, TransferError, uploadFile } from '../net/transfer.js';
import { downloadParts } from '../net/join-parts.js';
import { OutboundRefused } from '../net/safe-fetch.js';
import { TaskFailure, type TaskContext } from '../worker/task-handler.js';
import { classify, UnsupportedMedia } from './classify.js';
import type { IngestResult, IngestSpec } from './ingest-spec.js';
import { planProxy } from './proxy.js';
import { makePoster, makeThumbnailPack, NoPicture } from './thumbnails.js';

/**
 * Ingest: bring the bytes into scratch (join upload chunks, or download), probe, make a proxy
 * when browsers cannot play the original, make the thumbnail pack and the poster, and store what
 * was made through the signed URLs of the work order. Stages are reported so the media entry
 * shows `import`, `convert`, `prepare_thumbnails`.
 */

const STAGE_SHARE = { fetch: 0.3, convert: 0.45, thumbnails: 0.25 };

export async function ingest(context: TaskContext<IngestSpec>): Promise<IngestResult> {
  const spec = context.order.spec;
  const { signal } = context;
  const original = path.join(context.scratchDir, 'original');

  // 1. The bytes.
  const isImport = 'url' in spec.source && spec.download !== undefined;
  context.progress(0, isImport ? 'import' : 'assemble');
  const sizeBytes = await fetchSource(spec, original, context, isImport);
  if (spec.original) {
    context.progress(STAGE_SHARE.fetch * 0.95, isImport ? 'import' : 'assemble');
    await upload(spec.original.putUrl, original, undefined, signal);
  }

  // 2. What it is.
  let media;
  let probe;
  try {
    probe = await ffprobe(original, { signal });
    media = classify(probe, spec.name);
  } catch (error) {
    if (error instanceof UnsupportedMedia || error instanceof FfmpegError) {
      throw new TaskFailure({ type: 'engine_error', code: 'unsupported_media', message: unsupportedMessage(error) });
    }
    throw error;
  }
  context.log(`${spec.name}: ${media.mediaType} ${media.filetype}, ${media.width}x${media.height}, ${(media.durationHns / 1e7).toFixed(2)} s`);

  // 3. A proxy when browsers cannot play it.
  let proxyContentType: string | null = null;
  let proxyExtension: IngestResult['proxyExtension'] = null;
  let base = STAGE_SHARE.fetch;
  if (media.proxyReasons.length > 0) {
    context.log(`making a proxy: ${media.proxyReasons.join('; ')}`);
    context.progress(base, 'convert');
    const proxyFile = path.join(context.scratchDir, 'proxy');
    const proxy = planProxy(original, proxyFile, media);
    await encode(proxy.args, media.durationHns, (f) => context.progress(base + STAGE_SHARE.convert * f, 'convert'), signal);
    await upload(spec.proxy.putUrls[proxy.extension], proxyFile, proxy.contentType, signal);
    proxyContentType = proxy.contentType;
    proxyExtension = proxy.extension;
  }
  base += STAGE_SHARE.convert;

  // 4. Thumbnails.
  context.progress(base, 'prepare_thumbnails');
  const box = { width: spec.thumbnails.width, height: spec.thumbnails.height };
  const poster = await makePoster({ input: original, output: path.join(context.scratchDir, 'poster.png'), media, box, signal }).catch((error: unknown) => {
    throw failure('thumbnail_failed', error);
  });
  let thumbnails: IngestResult['thumbnails'] = null;
  if (media.mediaType === 'video') {
    const packFile = path.join(context.scratchDir, 'thumbnails.pack');
    const scrubFile = path.join(context.scratchDir, 'scrub.mp4');
    thumbnails = await makeThumbnailPack({
      input: original,
      output: packFile,
      media,
      stepHns: spec.thumbnails.stepHns,
      box,
      ...(spec.scrub ? { scrubOutput: scrubFile } : {}),
      signal,
      onProgress: (f) => context.progress(base + STAGE_SHARE.thumbnails * 0.95 * f, 'prepare_thumbnails'),
    }).catch((error: unknown) => {
      throw failure('thumbnail_failed', error);
    });
    await upload(spec.thumbnails.putUrl, packFile, 'application/octet-stream', signal);
    if (thumbnails.scrub && spec.scrub) await upload(spec.scrub.putUrl, scrubFile, 'video/mp4', signal);
  }
  context.progress(1, 'prepare_thumbnails');

  return {
    sizeBytes,
    filetype: media.filetype,
    mediaType: media.mediaType,
    durationHns: media.durationHns,
    width: media.width,
    height: media.height,
    audioTracks: media.audioTracks,
    proxyReasons: media.proxyReasons,
    proxyContentType,
    proxyExtension,
    thumbnail: poster.toString('base64'),
    thumbnails,
    probe,
  };
}

async function fetchSource(spec: IngestSpec, file: string, context: TaskContext<IngestSpec>, isImport: boolean): Promise<number> {
  const stage = isImport ? 'import' : 'assemble';
  const report = (fraction: number) => context.progress(STAGE_SHARE.fetch * 0.9 * fraction, stage);
  try {
    if ('url' in spec.source) {
      const { sizeBytes } = await downloadToFile(spec.source.url, file, {
        signal: context.signal,
        policy: spec.download?.policy,
        headers: spec.download?.headers,
        maxBytes: spec.download?.maxBytes,
        onProgress: (received, total) => report(total ? received / total : 0),
      });
      return sizeBytes;
    }
    // Upload chunks, joined in order into one file.
    return await downloadParts(spec.source.parts, file, { signal: context.signal, onProgress: (done, count) => report(done / count) });
  } catch (error) {
    if (context.signal.aborted) throw error;
    if (error instanceof OutboundRefused) {
      throw new TaskFailure({ type: 'download_error', code: 'url_refused', message: error.message });
    }
    if (error instanceof TransferError) {
      const code = error.code === 'too_large' ? 'exceeded_file_size' : 'download_failed';
      throw new TaskFailure({ type: 'download_error', code, message: error.message }, error.code === 'network');
    }
    throw new TaskFailure({ type: 'download_error', code: 'download_failed', message: (error as Error).message }, true);
  }
}

async function encode(args: string[], durationHns: number, onFraction: (f: number) => void, signal: AbortSignal): Promise<void> {
  try {
    await runFfmpeg({ args, expectedDurationS: durationHns / 1e7 || undefined, onProgress: (p) => onFraction(p.fraction ?? 0), signal });
  } catch (error) {
    throw failure('convert_failed', error);
  }
}

async function upload(url: string, file: string, contentType: string | undefined, signal: AbortSignal): Promise<void> {
  try {
    await uploadFile(url, file, { contentType, signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new TaskFailure({ type: 'upload_error', code: 'store_failed', message: (error as Error).message }, true);
  }
}

function failure(code: string, error: unknown): unknown {
  if (error instanceof FfmpegError) return new TaskFailure({ type: 'engine_error', code, message: error.message });
  if (error instanceof NoPicture)
    return new TaskFailure({ type: 'engine_error', code: 'unsupported_media', message: `not a media file we support: ${error.message}` });
  return error;
}

function unsupportedMessage(error: Error): string {
  const reason = error instanceof FfmpegError ? error.stderrTail.trim().split('\n').pop() || error.message : error.message;
  return `not a media file we support: ${reason}`;
}
