import fs from 'node:fs/promises';
import path from 'node:path';
import { ffprobe, FfmpegError } from '../ffmpeg/index.js';
import { downloadToFile, TransferError } from '../net/transfer.js';
import { OutboundRefused, type OutboundPolicy } from '../net/safe-fetch.js';
import { TaskFailure } from '../worker/task-handler.js';
import { classify, UnsupportedMedia } from './classify.js';
import { makePoster, makeThumbnailPack, type ThumbnailBox } from './thumbnails.js';

/**
 * The editor API's "media info" for integrators who serve their own catalogue: the
 * dev_media_file_entry_object fields of a file and its timeline thumbnails, to answer
 * fetchFileUrl and fetchThumbnailUrl from. Used by `mediainfo` tasks and the local CLI.
 */

export interface MediaInfoSpec {
  originalUrl: string;
  previewUrl?: string;
  /** Outbound policy for URLs; omitted for local files given to the CLI. */
  policy?: OutboundPolicy;
  maxBytes?: number;
  stepHns: number;
  /** At most this many thumbnails: long files get a wider step. */
  maxThumbnails: number;
  box: ThumbnailBox;
}

export interface MediaInfoAnswer {
  [key: string]: unknown;
  info: {
    name: string;
    filetype: string;
    mediaType: string;
    duration: number;
    size: number;
    width: number;
    height: number;
    thumbnail: string;
    previewUrl: string;
    audioTracks: string[];
  };
  thumbnails: Array<{ time: number; data: string }>;
}

export async function mediaInfo(
  spec: MediaInfoSpec,
  options: { scratchDir: string; signal: AbortSignal; progress?: (fraction: number, stage: string) => void },
): Promise<MediaInfoAnswer> {
  const { scratchDir, signal } = options;
  const isUrl = /^https?:\/\//i.test(spec.originalUrl);
  const name = decodeURIComponent(path.basename(isUrl ? new URL(spec.originalUrl).pathname : spec.originalUrl)) || 'media';
  let file = spec.originalUrl;
  let size: number;
  options.progress?.(0, 'downloading');
  if (isUrl) {
    file = path.join(scratchDir, 'original');
    try {
      size = (
        await downloadToFile(spec.originalUrl, file, {
          signal,
          policy: spec.policy,
          maxBytes: spec.maxBytes,
          onProgress: (received, total) => options.progress?.(total ? (0.5 * received) / total : 0, 'downloading'),
        })
      ).sizeBytes;
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = error instanceof OutboundRefused || error instanceof TransferError ? error.message : String(error);
      throw new TaskFailure({ type: 'download_error', code: 'download_failed', message: reason }, error instanceof TransferError && error.code === 'network');
    }
  } else {
    size = (await fs.stat(file)).size;
  }

  let media;
  try {
    media = classify(await ffprobe(file, { signal }), name);
  } catch (error) {
    if (error instanceof UnsupportedMedia || error instanceof FfmpegError) {
      throw new TaskFailure({ type: 'engine_error', code: 'unsupported_media', message: `not a media file we support: ${error.message}` });
    }
    throw error;
  }
  options.progress?.(0.6, 'running');
  const poster = await makePoster({ input: file, output: path.join(scratchDir, 'poster.png'), media, box: spec.box, signal });
  const thumbnails: MediaInfoAnswer['thumbnails'] = [];
  if (media.mediaType === 'video') {
    const stepHns = Math.max(spec.stepHns, Math.ceil(media.durationHns / spec.maxThumbnails / 1e5) * 1e5);
    const packFile = path.join(scratchDir, 'thumbnails.pack');
    const pack = await makeThumbnailPack({
      input: file,
      output: packFile,
      media,
      stepHns,
      box: spec.box,
      signal,
      onProgress: (f) => options.progress?.(0.6 + 0.4 * f, 'running'),
    });
    const bytes = await fs.readFile(packFile);
    for (let i = 0; i < pack.count; i++) {
      thumbnails.push({ time: i * stepHns, data: bytes.subarray(pack.offsets[i], pack.offsets[i + 1]).toString('base64') });
    }
  }
  return {
    info: {
      name,
      filetype: media.filetype,
      mediaType: media.mediaType,
      duration: media.durationHns,
      size,
      width: media.width,
      height: media.height,
      thumbnail: poster.toString('base64'),
      previewUrl: spec.previewUrl ?? spec.originalUrl,
      audioTracks: media.audioTracks,
    },
    thumbnails,
  };
}
