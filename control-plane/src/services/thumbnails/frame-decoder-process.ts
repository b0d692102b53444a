import { spawn, type ChildProcess } from 'node:child_process';
import { locateExecutable } from '@cutroom/render-node';

/**
 * One ffmpeg that stays up and turns H.264 (Annex B, on its stdin) into PNG thumbnails (on its
 * stdout), one picture per frame fed, in order. Starting ffmpeg costs more than decoding a
 * short GOP of a small scrub copy many times over; a process kept warm pays it once.
 *
 * ffmpeg hands a frame on only once a later one arrives, so each request ends with a few
 * `flush` frames (a keyframe, decodable on its own, whose pictures nobody waits for), and the
 * pictures are matched to what was fed by their order: every frame fed yields one picture.
 */

export class FrameDecoderClosed extends Error {}

interface Waiter {
  resolve: (png: Buffer) => void;
  reject: (error: Error) => void;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const deathSignalWrapper = process.platform === 'linux' ? locateExecutable('setpriv', '/usr/bin:/bin') : undefined;

export class FrameDecoderProcess {
  private readonly child: ChildProcess;
  /** One entry per frame fed and not answered yet: a waiter for the frames asked for, null for the others. */
  private readonly fed: Array<Waiter | null> = [];
  private output: Buffer = Buffer.alloc(0);
  /** Where the PNG being read starts and how far its chunks have been walked. */
  private scanAt = 0;
  private failure: Error | undefined;
  private stderrTail = '';

  constructor(ffmpeg: string, scaleFilter: string) {
    const args = [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      // No frame threads (each holds frames back), no probing past the first frame.
      '-threads',
      '1',
      '-probesize',
      '32',
      '-analyzeduration',
      '0',
      '-fpsprobesize',
      '0',
      '-f',
      'h264',
      '-i',
      'pipe:0',
      '-map',
      '0:v:0',
      '-vf',
      scaleFilter,
      '-fps_mode',
      'passthrough',
      '-c:v',
      'png',
      '-f',
      'image2pipe',
      '-flush_packets',
      '1',
      'pipe:1',
    ];
    const [file, argv] = deathSignalWrapper ? [deathSignalWrapper, ['--pdeathsig', 'KILL', '--', ffmpeg, ...args]] : [ffmpeg, args];
    this.child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onOutput(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    // A write after ffmpeg died fails here, and the exit below says why.
    this.child.stdin!.on('error', () => {});
    this.child.on('error', (error) => this.fail(error));
    this.child.on('exit', (code, signal) =>
      this.fail(new FrameDecoderClosed(`ffmpeg exited (${signal ?? code})${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`)),
    );
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  /** Frames fed whose pictures have not come back yet. */
  get backlog(): number {
    return this.fed.length;
  }

  /**
   * Feeds `stream` (`frames` frames, the last one wanted) then `flush` (`flushFrames` frames)
   * and resolves with the picture of the wanted frame.
   */
  decode(stream: Buffer, frames: number, flush: Buffer, flushFrames: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      for (let i = 0; i < frames - 1; i++) this.fed.push(null);
      this.fed.push({ resolve, reject });
      for (let i = 0; i < flushFrames; i++) this.fed.push(null);
      this.child.stdin!.write(Buffer.concat([stream, flush]));
    });
  }

  /** Stops ffmpeg; what is waiting fails. */
  close(reason = 'the frame decoder was closed'): void {
    this.fail(new FrameDecoderClosed(reason));
    this.child.stdin!.end();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.fed.splice(0)) waiter?.reject(error);
  }

  private onOutput(chunk: Buffer): void {
    this.output = this.output.length === 0 ? chunk : Buffer.concat([this.output, chunk]);
    // Walk PNG chunk headers: a picture is complete at its IEND.
    let start = 0;
    let at = this.scanAt;
    for (;;) {
      if (at === start) {
        if (this.output.length - start < 8) break;
        if (!this.output.subarray(start, start + 8).equals(PNG_SIGNATURE)) {
          this.close('ffmpeg wrote something other than PNG');
          return;
        }
        at = start + 8;
      }
      if (at + 8 > this.output.length) break;
      const length = this.output.readUInt32BE(at);
      const type = this.output.toString('latin1', at + 4, at + 8);
      if (at + 12 + length > this.output.length) break;
      at += 12 + length;
      if (type === 'IEND') {
        const png = this.output.subarray(start, at);
        const waiter = this.fed.shift();
        if (waiter === undefined) {
          this.close('ffmpeg wrote a picture for no frame fed');
          return;
        }
        waiter?.resolve(Buffer.from(png));
        start = at;
      }
    }
    this.output = this.output.subarray(start);
    this.scanAt = at - start;
  }
}
