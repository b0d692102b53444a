import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '@cutroom/render-node';
import type { WarmFrameDecoders } from './warm-frame-decoders.js';
import type { MediaRow } from '../../db/media-repository.js';
import { badRequest } from '../../http/errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { MediaService } from '../library/media.js';
import type { ExtractionLimiter } from './extraction-limiter.js';

/**
 * Timeline thumbnails. `cached` answers from the pack prepared at ingest (the nearest prepared
 * frame, one ranged read of the pack); live extraction decodes the exact frames now. From the
 * scrub copy made at ingest (small, short GOP, its index at the front), a warm ffmpeg decodes
 * the few frames from the keyframe before the one asked (see `WarmFrameDecoders`); media with
 * no scrub copy, or a copy that cannot be read that way, get one ffmpeg run per frame, seeking
 * in the proxy or the original.
 */

export interface Thumbnail {
  /** The time asked for, 100 ns units. */
  time: number;
  /** Base64 PNG. */
  data: string;
}

/** A thumbnail as written in an answer: its picture's base64 text, as bytes (held outside the JavaScript heap). */
export interface StripThumbnail {
  time: number;
  base64: Buffer;
}

export interface ThumbnailOptions {
  width: number;
  height: number;
  /** Most thumbnails one request asks for (answered from the prepared pack). */
  maxCount: number;
  /** Most frames one request may have extracted now (`cached=false`, or no pack yet). */
  maxLiveCount: number;
  /** Bytes of prepared thumbnails (base64) kept in memory. */
  cacheBytes: number;
}

/** The video filter that fits a frame in the thumbnail box, as ingest does. */
export const thumbnailFit = (width: number, height: number) => `scale=w=${width}:h=${height}:force_original_aspect_ratio=decrease:force_divisible_by=2`;

/** Over this span, cached thumbnails are read one by one rather than in one range. */
const MAX_SPAN_BYTES = 8 * 2 ** 20;

export class ThumbnailService {
  constructor(
    private readonly media: MediaService,
    private readonly store: ObjectStore,
    private readonly limiter: ExtractionLimiter,
    private readonly options: ThumbnailOptions,
    private readonly warm?: WarmFrameDecoders,
  ) {
    this.packCache = new PackCache(options.cacheBytes);
  }

  private readonly packCache: PackCache;

  /** Stops the warm decoders. */
  async close(): Promise<void> {
    await this.warm?.close();
  }

  /** The times asked for; a count over `maxCount` is capped, as every list's count is. */
  times(startHns: number, stepHns: number, count: number): number[] {
    return Array.from({ length: Math.min(count, this.options.maxCount) }, (_, i) => startHns + i * stepHns);
  }

  /**
   * Thumbnails of a user's (or shared) media at the given times. `signal` aborts when the
   * client is gone: extractions it started are stopped and those it queued never run.
   */
  async thumbnails(viewerId: string, id: string, times: number[], cached: boolean, signal: AbortSignal): Promise<Thumbnail[]> {
    const { thumbnails } = await this.strip(viewerId, id, times, cached, signal);
    return thumbnails.map(({ time, base64 }) => ({ time, data: base64.toString('latin1') }));
  }

  /**
   * The same, each picture as its base64 text (kept as it is for the next answer), with
   * an entity tag when the answer comes from the prepared pack: the same pack and times give
   * the same answer.
   */
  async strip(viewerId: string, id: string, times: number[], cached: boolean, signal: AbortSignal): Promise<{ thumbnails: StripThumbnail[]; etag?: string }> {
    const row = await this.media.findVisible(viewerId, id);
    if (row.media_type !== 'video') return { thumbnails: this.stills(row, times) };
    if (cached && row.thumbnails_key && row.thumbnails_index) {
      const pack = `${row.thumbnails_key}#${row.task_id ?? ''}#${row.thumbnails_index.offsets.at(-1)}`;
      const etag = `"${createHash('sha1')
        .update(`${pack}\n${times.join(',')}`)
        .digest('base64url')}"`;
      return { thumbnails: await this.fromPack(row, pack, times), etag };
    }
    const frames = await this.live(row, times, signal);
    return { thumbnails: frames.map((png, i) => ({ time: times[i]!, base64: toBase64(png) })) };
  }

  /** Images and audio have one picture: their thumbnail (the image, the waveform) at every time. */
  private stills(row: MediaRow, times: number[]): StripThumbnail[] {
    if (!row.thumbnail) throw badRequest(`media ${row.id} has no thumbnail yet (status ${row.status})`);
    const base64 = Buffer.from(row.thumbnail, 'latin1');
    return times.map((time) => ({ time, base64 }));
  }

  /** From the pack prepared at ingest: pictures read lately from memory, the others with one ranged read. */
  private async fromPack(row: MediaRow, pack: string, times: number[]): Promise<StripThumbnail[]> {
    const { stepHns, offsets } = row.thumbnails_index!;
    const count = offsets.length - 1;
    const frames = times.map((t) => Math.min(count - 1, Math.max(0, Math.round(t / stepHns))));
    const found = new Map<number, Buffer>();
    const missing: number[] = [];
    for (const frame of new Set(frames)) {
      const hit = this.packCache.get(pack, frame);
      if (hit) found.set(frame, hit);
      else missing.push(frame);
    }
    if (missing.length > 0) {
      const keep = (frame: number, png: Buffer) => {
        const base64 = toBase64(png);
        found.set(frame, base64);
        this.packCache.set(pack, frame, base64);
      };
      const read = async (from: number, to: number) => readAll(await this.store.get(row.thumbnails_key!, { start: offsets[from]!, end: offsets[to + 1]! - 1 }));
      const first = Math.min(...missing);
      const last = Math.max(...missing);
      if (offsets[last + 1]! - offsets[first]! <= MAX_SPAN_BYTES) {
        const span = await read(first, last);
        const base = offsets[first]!;
        for (const frame of missing) keep(frame, span.subarray(offsets[frame]! - base, offsets[frame + 1]! - base));
      } else {
        await Promise.all(missing.map(async (frame) => keep(frame, await read(frame, frame))));
      }
    }
    return times.map((time, i) => ({ time, base64: found.get(frames[i]!)! }));
  }

  /** The exact frames at `times`, as PNG. */
  private async live(row: MediaRow, times: number[], signal: AbortSignal): Promise<Buffer[]> {
    if (times.length > this.options.maxLiveCount) {
      throw badRequest(
        `count: at most ${this.options.maxLiveCount} thumbnails are extracted per request (cached=false, or media whose thumbnails are not prepared yet)`,
      );
    }
    // The scrub copy decodes an exact frame in milliseconds; else the proxy, else the original.
    const key = row.thumbnails_index?.scrub ? this.media.objectKey(row, 'scrub', 'mp4') : (row.proxy_key ?? row.original_key);
    if (!key || row.status === 'upload' || row.status === 'import') throw badRequest(`media ${row.id} is not stored yet (status ${row.status})`);
    const warm = row.thumbnails_index?.scrub && this.warm?.enabled ? await this.warmFrames(row, key, times, signal) : [];
    const missing = times.flatMap((time, i) => (warm[i] ? [] : [{ time, i }]));
    if (missing.length === 0) return warm as Buffer[];
    const input = this.store.localPath?.(key) ?? (await this.store.signedGetUrl(key, { expiresInS: 600, audience: 'internal' }));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-thumb-'));
    try {
      const jobs = missing.map(({ time, i }) => async (jobSignal: AbortSignal) => ({
        i,
        png: await this.extract(input, time, path.join(dir, `${i}.png`), jobSignal),
      }));
      for (const { i, png } of await this.limiter.runAll(jobs, signal)) warm[i] = png;
      return warm as Buffer[];
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * The frames a warm decoder gives from the scrub copy; those it cannot give are left out
   * (undefined) for the caller to extract the usual way.
   */
  private async warmFrames(row: MediaRow, key: string, times: number[], signal: AbortSignal): Promise<Array<Buffer | undefined>> {
    // A new ingest writes a new copy under the same key: its task tells them apart.
    const sourceKey = `${key}#${row.task_id ?? ''}`;
    const localPath = this.store.localPath?.(key);
    const open = async () => {
      if (localPath) {
        const handle = await fs.open(localPath, 'r');
        return {
          read: async (start: number, end: number) => {
            const buffer = Buffer.allocUnsafe(end - start + 1);
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
            return buffer.subarray(0, bytesRead);
          },
          close: () => handle.close(),
        };
      }
      return { read: async (start: number, end: number) => readAll(await this.store.get(key, { start, end })), close: async () => {} };
    };
    return Promise.all(
      times.map(async (time) => {
        if (signal.aborted) return undefined;
        return this.warm!.frame(sourceKey, open, time / 1e7).catch(() => undefined);
      }),
    );
  }

  private async extract(input: string, timeHns: number, output: string, signal: AbortSignal): Promise<Buffer> {
    const box = thumbnailFit(this.options.width, this.options.height);
    await runFfmpeg({
      args: ['-ss', (timeHns / 1e7).toFixed(4), '-i', input, '-map', '0:v:0', '-frames:v', '1', '-vf', box, '-c:v', 'png', '-f', 'image2', '-y', output],
      signal,
    });
    // Past the end ffmpeg writes no frame: the last frame is then the answer.
    const data = await fs.readFile(output).catch(() => undefined);
    if (data) return data;
    await runFfmpeg({
      args: ['-sseof', '-0.5', '-i', input, '-map', '0:v:0', '-update', '1', '-vf', box, '-c:v', 'png', '-f', 'image2', '-y', output],
      signal,
    });
    return fs.readFile(output);
  }
}

/**
 * A picture's base64 text as bytes. Kept as a Buffer, hundreds of kilobytes of cached pictures
 * stay off the JavaScript heap, and a strip's answer is copied from them (no string to build,
 * flatten and encode, no garbage for the collector).
 */
const toBase64 = (png: Buffer) => Buffer.from(png.toString('base64'), 'latin1');

/** Prepared thumbnails read lately, by pack and frame, least recently used dropped first past a byte budget. */
class PackCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  get(pack: string, frame: number): Buffer | undefined {
    const key = `${pack}@${frame}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(pack: string, frame: number, base64: Buffer): void {
    if (base64.length > this.budgetBytes) return;
    const key = `${pack}@${frame}`;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.length;
      this.entries.delete(key);
    }
    this.entries.set(key, base64);
    this.bytes += base64.length;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
  }
}

async function readAll({ body }: { body: NodeJS.ReadableStream }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
