import { setTimeout as sleep } from 'node:timers/promises';
import type { RtpPacket } from 'werift/nonstandard';
import { OPUS_SAMPLE_RATE } from './opus-packets.js';
import { RecordingTimeline } from './recording-timeline.js';
import { RtpReorderBuffer } from './rtp-reorder-buffer.js';
import { unwrapNear, type RtpClock } from './rtp-clock.js';
import type { WebmOpusFile } from './webm-opus-file.js';

/**
 * Records the Opus RTP packets of one track into a file, as they arrive: a reorder buffer puts
 * them back in sequence (waiting up to `latencyMs` of stream time for a missing one), and the
 * timeline places each where its timestamp says. The recording is the span of our wall clock
 * from `startedAtMs` to the end given to `stop`: the sender's clock is tied to ours by the
 * packets' arrival times, so its length does not depend on how many packets made it.
 */

export interface RecorderOptions {
  /** Stream time the reorder buffer waits for a missing packet. */
  latencyMs: number;
  /** After the end, how long packets still in flight (timestamped before it) may arrive. */
  lateArrivalGraceMs: number;
}

const samplesOf = (ms: number) => Math.round((ms * OPUS_SAMPLE_RATE) / 1000);

export class OpusRtpRecorder {
  private timeline: RecordingTimeline | undefined;
  private readonly reorder: RtpReorderBuffer;
  private stopped = false;

  constructor(
    private readonly file: WebmOpusFile,
    clock: RtpClock,
    readonly startedAtMs: number,
    private readonly options: RecorderOptions,
  ) {
    this.reorder = new RtpReorderBuffer(samplesOf(options.latencyMs), (rtp) => this.place(rtp));
    // Packets already flowing tell where the sender's clock stood when recording started.
    const startTimestamp = clock.timestampAt(startedAtMs);
    if (startTimestamp !== undefined) this.timeline = this.newTimeline(startTimestamp);
  }

  /** A packet that just arrived, with its unwrapped timestamp. */
  receive(rtp: RtpPacket, timestamp: number, arrivedAtMs: number): void {
    if (this.stopped) return;
    // The first packet ever: the recording starts that long before it arrived.
    this.timeline ??= this.newTimeline(timestamp - samplesOf(arrivedAtMs - this.startedAtMs));
    this.reorder.push(rtp);
  }

  /**
   * Ends the recording. With `endAtMs` the file lasts from the start to that moment, silence
   * filling what did not arrive; without it, it ends with the last audio that arrived.
   */
  async stop(endAtMs: number | undefined): Promise<{ durationMs: number; sizeBytes: number }> {
    const spanSamples = samplesOf((endAtMs ?? Date.now()) - this.startedAtMs);
    this.timeline ??= this.newTimeline(0);
    this.timeline.endAt(spanSamples);
    if (endAtMs !== undefined) await sleep(this.options.lateArrivalGraceMs);
    this.stopped = true;
    this.reorder.flush();
    const samples = this.timeline.finish(endAtMs !== undefined);
    const durationMs = (samples * 1000) / OPUS_SAMPLE_RATE;
    const { sizeBytes } = await this.file.close(durationMs);
    return { durationMs, sizeBytes };
  }

  async discard(): Promise<void> {
    this.stopped = true;
    await this.file.discard();
  }

  private newTimeline(startTimestamp: number): RecordingTimeline {
    return new RecordingTimeline(startTimestamp, (frame) => this.file.write(frame.data, (frame.atSamples * 1000) / OPUS_SAMPLE_RATE));
  }

  private place(rtp: RtpPacket): void {
    const timeline = this.timeline!;
    const timestamp = unwrapNear(rtp.header.timestamp, timeline.startTimestamp + timeline.durationSamples);
    timeline.push(rtp.payload, timestamp);
  }
}
