import type { RtpPacket } from 'werift/nonstandard';

/**
 * Puts RTP packets back in sequence order. A packet goes on as soon as every packet before it
 * has; a gap is given up on once the packets waiting behind it span `latencySamples` of stream
 * time (the timeline then fills it with silence), and what waits behind it goes on in order.
 * Duplicates and packets older than those already passed on are dropped.
 *
 * werift has a jitter buffer (JitterBufferCallback), but in 0.24.4 (and 0.25.2) it discards
 * the packets queued behind a gap it gives up on: one lost packet costs `latency` of audio.
 */

/** Packets waiting at most; past this the oldest gap is given up on whatever its age. */
const MAX_WAITING = 512;
/** This many packets in a row from before the expected one: the sender restarted its numbering. */
const RESYNC_AFTER = 25;

export class RtpReorderBuffer {
  private expected: number | undefined;
  private readonly waiting = new Map<number, RtpPacket>();
  private staleRun = 0;

  constructor(
    private readonly latencySamples: number,
    private readonly release: (rtp: RtpPacket) => void,
  ) {}

  push(rtp: RtpPacket): void {
    const seq = rtp.header.sequenceNumber;
    if (this.expected === undefined) this.expected = seq;
    if (((seq - this.expected) & 0xffff) >= 0x8000) {
      this.staleRun += 1;
      if (this.staleRun < RESYNC_AFTER) return;
      this.flush();
      this.expected = seq;
    }
    this.staleRun = 0;
    if (this.waiting.has(seq)) return;
    this.waiting.set(seq, rtp);
    this.drain();
    for (let first = this.firstWaiting(); first !== undefined; first = this.firstWaiting()) {
      const waitedSamples = (rtp.header.timestamp - first.header.timestamp) | 0;
      if (waitedSamples <= this.latencySamples && this.waiting.size <= MAX_WAITING) break;
      this.expected = first.header.sequenceNumber;
      this.drain();
    }
  }

  /** Passes on everything still waiting, in order (the recording ends). */
  flush(): void {
    for (let first = this.firstWaiting(); first !== undefined; first = this.firstWaiting()) {
      this.expected = first.header.sequenceNumber;
      this.drain();
    }
  }

  private drain(): void {
    for (let next = this.waiting.get(this.expected!); next !== undefined; next = this.waiting.get(this.expected!)) {
      this.waiting.delete(this.expected!);
      this.expected = (this.expected! + 1) & 0xffff;
      this.release(next);
    }
  }

  /** The waiting packet that comes first after the expected one. */
  private firstWaiting(): RtpPacket | undefined {
    let first: RtpPacket | undefined;
    let firstDistance = Infinity;
    for (const [seq, rtp] of this.waiting) {
      const distance = (seq - this.expected!) & 0xffff;
      if (distance < firstDistance) {
        first = rtp;
        firstDistance = distance;
      }
    }
    return first;
  }
}
