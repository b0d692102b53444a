import { FrameDecoderProcess } from './frame-decoder-process.js';
import { annexB, framesFor, locateMoov, parseMp4VideoIndex, type Mp4VideoIndex } from './mp4-index.js';

/**
 * Exact frames of scrub copies from ffmpeg processes kept warm: one per copy being looked at
 * (at most `maxProcesses`, least recently used closed first, each closed after `idleMs` unused),
 * plus one started ahead, so that the first frame of a copy seen for the first time does not
 * wait for ffmpeg to start either. A frame is the bytes from the keyframe before it up to it,
 * found in the copy's own index and read with one ranged read: no demuxer, no seek, no spawn.
 *
 * `frame` answers undefined when a copy cannot be read this way (not H.264 in MP4 with its
 * index first, frames out of order): the caller then extracts the frame the usual way.
 */

/** Reads bytes `start..end` (inclusive) of a stored object. */
export type ReadRange = (start: number, end: number) => Promise<Buffer>;

export interface WarmFrameDecodersOptions {
  /** ffmpeg to run. */
  ffmpeg: string;
  /** The video filter that fits a frame in the thumbnail box. */
  scaleFilter: string;
  /** Processes kept at most, the one started ahead included; 0 turns warm decoding off. */
  maxProcesses: number;
  /** A process unused this long is stopped. */
  idleMs: number;
}

/** Frames fed after the wanted one so that ffmpeg hands it on at once. */
const FLUSH_FRAMES = 2;
/** Past this, a GOP is read and decoded the usual way. */
const MAX_SPAN_BYTES = 16 * 2 ** 20;
/** A picture that has not come back by then will not: the process is stopped. */
const DECODE_TIMEOUT_MS = 15_000;
/** Bytes read first to find the index (a faststart MP4 has it at the front). */
const HEAD_BYTES = 64 * 1024;

interface Source {
  index: Mp4VideoIndex | undefined;
  read: ReadRange;
  close(): Promise<void>;
  process: FrameDecoderProcess | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class WarmFrameDecoders {
  /** Copies warm now, least recently used first. */
  private readonly sources = new Map<string, Source>();
  /** Copies whose index is being read. */
  private readonly opening = new Map<string, Promise<Source>>();
  private spare: FrameDecoderProcess | undefined;
  private spareTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: WarmFrameDecodersOptions) {}

  get enabled(): boolean {
    return this.options.maxProcesses > 0 && !this.closed;
  }

  /** ffmpeg processes running now, the one started ahead included. */
  get processCount(): number {
    return this.busyProcesses() + (this.spare?.alive ? 1 : 0);
  }

  /**
   * The picture of the frame shown at `timeS` in the copy stored under `key` (the last frame
   * past the end), or undefined when it cannot be decoded this way. `open` gives ranged reads
   * of the copy, once per key while it stays warm.
   */
  async frame(key: string, open: () => Promise<{ read: ReadRange; close(): Promise<void> }>, timeS: number): Promise<Buffer | undefined> {
    if (!this.enabled) return undefined;
    const source = await this.sourceFor(key, open);
    if (!source.index) return undefined;
    const { first, target } = framesFor(source.index, timeS);
    const keyframe = source.index.samples[first]!;
    const last = source.index.samples[target]!;
    const start = keyframe.offset;
    const end = Math.max(last.offset + last.size, keyframe.offset + keyframe.size);
    if (end - start > MAX_SPAN_BYTES) return undefined;
    const bytes = await source.read(start, end - 1);
    const stream = annexB(source.index, bytes, start, first, target);
    // The keyframe again, decodable on its own, to push the wanted frame out.
    const flushOne = annexB(source.index, bytes, start, first, first);
    const flush = Buffer.concat(Array.from({ length: FLUSH_FRAMES }, () => flushOne));
    if (this.closed || this.sources.get(key) !== source) return undefined;

    const decoder = this.processFor(key, source);
    this.touch(key, source);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        decoder.decode(stream, target - first + 1, flush, FLUSH_FRAMES),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('ffmpeg gave no picture in time')), DECODE_TIMEOUT_MS);
        }),
      ]);
    } catch {
      // The caller extracts this frame the usual way; the next one starts a new process.
      if (source.process === decoder) source.process = undefined;
      decoder.close();
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops every process and forgets every copy. */
  async close(): Promise<void> {
    this.closed = true;
    this.spare?.close();
    this.spare = undefined;
    clearTimeout(this.spareTimer);
    const sources = [...this.sources.values(), ...(await Promise.all([...this.opening.values()].map((p) => p.catch(() => undefined))))];
    this.sources.clear();
    await Promise.all(sources.map((source) => this.closeSource(source)));
  }

  private async sourceFor(key: string, open: () => Promise<{ read: ReadRange; close(): Promise<void> }>): Promise<Source> {
    const warm = this.sources.get(key);
    if (warm) {
      // Most recently used last.
      this.sources.delete(key);
      this.sources.set(key, warm);
      return warm;
    }
    let opening = this.opening.get(key);
    if (!opening) {
      opening = this.openSource(open).then(
        (source) => {
          this.opening.delete(key);
          if (this.closed) void this.closeSource(source);
          else this.sources.set(key, source);
          return source;
        },
        (error: unknown) => {
          this.opening.delete(key);
          throw error;
        },
      );
      this.opening.set(key, opening);
    }
    return opening;
  }

  private async openSource(open: () => Promise<{ read: ReadRange; close(): Promise<void> }>): Promise<Source> {
    // A process starts while the index is read.
    this.startSpare();
    const access = await open();
    try {
      const head = await access.read(0, HEAD_BYTES - 1);
      const at = locateMoov(head);
      const moov = at === undefined ? undefined : at.end <= head.length ? head.subarray(at.start, at.end) : await access.read(at.start, at.end - 1);
      const index = moov ? parseMp4VideoIndex(moov) : undefined;
      return { index, read: access.read, close: access.close, process: undefined, timer: undefined };
    } catch (error) {
      await access.close();
      throw error;
    }
  }

  private processFor(key: string, source: Source): FrameDecoderProcess {
    if (source.process?.alive) return source.process;
    // Make room: the least recently used copies go first.
    for (const [otherKey, other] of this.sources) {
      if (this.busyProcesses() + 1 <= this.options.maxProcesses) break;
      if (otherKey === key) continue;
      this.sources.delete(otherKey);
      void this.closeSource(other);
    }
    const spare = this.spare?.alive ? this.spare : undefined;
    this.spare = undefined;
    source.process = spare ?? new FrameDecoderProcess(this.options.ffmpeg, this.options.scaleFilter);
    this.startSpare();
    return source.process;
  }

  /** Keeps one process started ahead while there is room for it. */
  private startSpare(): void {
    if (this.closed || this.spare?.alive) return;
    if (this.busyProcesses() + 1 > this.options.maxProcesses) return;
    this.spare = new FrameDecoderProcess(this.options.ffmpeg, this.options.scaleFilter);
    clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => {
      this.spare?.close();
      this.spare = undefined;
    }, this.options.idleMs).unref();
  }

  private touch(key: string, source: Source): void {
    clearTimeout(source.timer);
    source.timer = setTimeout(() => {
      if (this.sources.get(key) === source) this.sources.delete(key);
      void this.closeSource(source);
    }, this.options.idleMs).unref();
  }

  private busyProcesses(): number {
    let count = 0;
    for (const source of this.sources.values()) if (source.process?.alive) count++;
    return count;
  }

  private async closeSource(source: Source | undefined): Promise<void> {
    if (!source) return;
    clearTimeout(source.timer);
    source.process?.close();
    source.process = undefined;
    await source.close().catch(() => {});
  }
}
