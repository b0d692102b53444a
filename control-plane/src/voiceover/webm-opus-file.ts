import fsp, { type FileHandle } from 'node:fs/promises';
import { DurationPosition, SegmentSizePosition, WEBMContainer, WebmCallback, replaceSegmentSize, type WebmOutput } from 'werift/nonstandard';

/**
 * A WebM file of one Opus track, written block by block as frames come (werift's WebM muxer,
 * appending to the file), and given its exact duration when it is closed. The muxer writes the
 * time of the last block as the duration; ours adds that block's own length, so the file says
 * what it holds.
 */

const TRACKS = [{ kind: 'audio' as const, codec: 'OPUS' as const, clockRate: 48_000, trackNumber: 1 }];
/** The header is written before the length is known, with room for this many ms. */
const PLACEHOLDER_DURATION_MS = 24 * 3600 * 1000;

export class WebmOpusFile {
  private position = 0;
  private failure: unknown;
  private readonly muxer = new WebmCallback(TRACKS, { duration: PLACEHOLDER_DURATION_MS });
  private readonly ended: Promise<void>;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {
    let markEnded!: () => void;
    this.ended = new Promise((resolve) => (markEnded = resolve));
    // The muxer runs its output callbacks one at a time, in order.
    this.muxer.pipe(async (output: WebmOutput) => {
      if (output.saveToFile) await this.append(output.saveToFile);
      if (output.eol) markEnded();
    });
  }

  static async create(path: string): Promise<WebmOpusFile> {
    return new WebmOpusFile(path, await fsp.open(path, 'w'));
  }

  /** One Opus packet at `atMs` since the start (frames must come in order). */
  write(packet: Buffer, atMs: number): void {
    if (this.closed) return;
    this.muxer.inputAudio({ frame: { data: packet, isKeyframe: true, time: Math.round(atMs) } });
  }

  /** Ends the file with its duration; answers its size. Rejects if a write failed. */
  async close(durationMs: number): Promise<{ sizeBytes: number }> {
    this.closed = true;
    this.muxer.inputAudio({ eol: true });
    await this.ended;
    try {
      if (this.failure) throw this.failure;
      const duration = Buffer.from(new WEBMContainer(TRACKS).createDuration(durationMs));
      await this.handle.write(duration, 0, duration.length, DurationPosition);
      const size = replaceSegmentSize(this.position);
      await this.handle.write(size, 0, size.length, SegmentSizePosition);
      return { sizeBytes: this.position };
    } finally {
      await this.handle.close();
    }
  }

  /** Stops writing and removes the file. */
  async discard(): Promise<void> {
    this.closed = true;
    this.muxer.destroy();
    await this.handle.close().catch(() => {});
    await fsp.rm(this.path, { force: true });
  }

  private async append(bytes: Buffer): Promise<void> {
    if (this.failure) return;
    try {
      await this.handle.write(bytes, 0, bytes.length, this.position);
      this.position += bytes.length;
    } catch (error) {
      // A full disk: the recording is lost, and `close` says so.
      this.failure = error;
    }
  }
}
