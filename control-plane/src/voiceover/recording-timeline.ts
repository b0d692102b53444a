import { OPUS_SILENCE_PACKET, OPUS_SILENCE_SAMPLES, opusPacketSamples } from './opus-packets.js';

/**
 * Lays the Opus packets of one recording end to end on the recording's own line of samples,
 * from the one it starts at to the one it ends at: a packet goes where its RTP timestamp says,
 * a gap (lost packets, a sender that paused) becomes silence of the gap's length, and a packet
 * mostly before the start, mostly after the end, or on a place already written (a duplicate, a
 * packet too late) is left out. Nothing is decoded; silence is a ready-made packet.
 */

export interface TimelineFrame {
  data: Buffer;
  /** Position of the frame's first sample since the recording's start. */
  atSamples: number;
  samples: number;
}

export class RecordingTimeline {
  private writtenSamples = 0;
  private endSamples: number | undefined;
  /** The timestamp that follows the last packet written: the next packet's, without a gap. */
  private nextTimestamp: number | undefined;

  /**
   * @param startTimestamp the unwrapped RTP timestamp the recording starts at
   * @param write receives every frame in order, each right after the one before
   */
  constructor(
    readonly startTimestamp: number,
    private readonly write: (frame: TimelineFrame) => void,
  ) {}

  /** Samples written so far. */
  get durationSamples(): number {
    return this.writtenSamples;
  }

  /** A packet at its unwrapped RTP timestamp; packets must come in timestamp order. */
  push(payload: Buffer, timestamp: number): void {
    const samples = opusPacketSamples(payload);
    if (samples === 0) return;
    const at = timestamp - this.startTimestamp;
    if (this.endSamples !== undefined && at + samples / 2 > this.endSamples) return;
    if (this.nextTimestamp === undefined) {
      if (at + samples / 2 <= 0) return;
    } else if (timestamp < this.nextTimestamp) {
      return;
    }
    // The packet that follows the last one goes right after it. Only a gap is rounded to whole
    // frames of silence: rounding every packet's place would, when the start falls half a frame
    // off the sender's packets, send them back and forth and lay silence between every two.
    if (timestamp !== this.nextTimestamp) this.fillTo(at);
    this.nextTimestamp = timestamp + samples;
    this.emit(payload, samples);
  }

  /** Sets where the recording ends (samples since its start): later packets are left out. */
  endAt(samples: number): void {
    this.endSamples = Math.max(0, Math.round(samples));
  }

  /**
   * Closes the line; with `fillToEnd`, silence runs on to the end set by `endAt`. Answers the
   * recording's length in samples.
   */
  finish(fillToEnd: boolean): number {
    if (fillToEnd && this.endSamples !== undefined) this.fillTo(this.endSamples);
    return this.writtenSamples;
  }

  private fillTo(atSamples: number): void {
    const frames = Math.round((atSamples - this.writtenSamples) / OPUS_SILENCE_SAMPLES);
    for (let i = 0; i < frames; i++) this.emit(OPUS_SILENCE_PACKET, OPUS_SILENCE_SAMPLES);
  }

  private emit(data: Buffer, samples: number): void {
    this.write({ data, atSamples: this.writtenSamples, samples });
    this.writtenSamples += samples;
  }
}
