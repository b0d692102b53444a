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
 *
 * Where the recording starts in the sender's timestamps is settled once packets have come for
 * `ANCHOR_AFTER_MS` past the start (held until then): the least delayed packet around the start,
 * not just the latest one, ties the clocks, so a busy moment at PUT does not shift the whole file.
 */

export interface RecorderOptions {
  /** Stream time the reorder buffer waits for a missing packet. */
  latencyMs: number;
  /** After the end, how long packets still in flight (timestamped before it) may arrive. */
  lateArrivalGraceMs: number;
}

const samplesOf = (ms: number) => Math.round((ms * OPUS_SAMPLE_RATE) / 1000);
const ANCHOR_AFTER_MS = 1000;

export class OpusRtpRecorder {
  private timeline: RecordingTimeline | undefined;
  /** Packets that came before the start was settled. */
  private held: RtpPacket[] = [];
  private readonly reorder: RtpReorderBuffer;
  private stopped = false;

  constructor(
    private readonly file: WebmOpusFile,
    private readonly clock: RtpClock,
    readonly startedAtMs: number,
    private readonly options: RecorderOptions,
  ) {
    this.reorder = new RtpReorderBuffer(samplesOf(options.latencyMs), (rtp) => this.place(rtp));
  }

  /** A packet that just arrived (the clock has seen it), with its arrival time. */
  receive(rtp: RtpPacket, arrivedAtMs: number): void {
    if (this.stopped) return;
    if (this.timeline) {
      this.reorder.push(rtp);
      return;
    }
    this.held.push(rtp);
    if (arrivedAtMs - this.startedAtMs >= ANCHOR_AFTER_MS) this.anchor();
  }

  /**
   * Ends the recording. With `endAtMs` the file lasts from the start to that moment, silence
   * filling what did not arrive; without it, it ends with the last audio that arrived.
   */
  async stop(endAtMs: number | undefined): Promise<{ durationMs: number; sizeBytes: number }> {
    const spanSamples = samplesOf((endAtMs ?? Date.now()) - this.startedAtMs);
    const timeline = this.anchor(spanSamples);
    timeline.endAt(spanSamples);
    if (endAtMs !== undefined) await sleep(this.options.lateArrivalGraceMs);
    this.stopped = true;
    this.reorder.flush();
    const samples = timeline.finish(endAtMs !== undefined);
    const durationMs = (samples * 1000) / OPUS_SAMPLE_RATE;
    const { sizeBytes } = await this.file.close(durationMs);
    return { durationMs, sizeBytes };
  }

  async discard(): Promise<void> {
    this.stopped = true;
    await this.file.discard();
  }

  /**
   * Settles where the recording starts in the sender's timestamps, and lets held packets on
   * (none past `endSamples`, when the end is already known).
   */
  private anchor(endSamples?: number): RecordingTimeline {
    if (this.timeline) return this.timeline;
    // No packet at all yet: the recording is silence until one comes, so any origin will do.
    const timeline = this.newTimeline(this.clock.timestampAt(this.startedAtMs) ?? 0);
    if (endSamples !== undefined) timeline.endAt(endSamples);
    this.timeline = timeline;
    for (const rtp of this.held.splice(0)) this.reorder.push(rtp);
    return timeline;
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
