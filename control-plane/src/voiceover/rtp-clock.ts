/**
 * RTP timestamps are 32-bit and wrap (every 24.9 hours at 48 kHz). The recorder counts on an
 * unwrapped line instead, and ties it to the wall clock through the latest packet's arrival, so
 * that "the moment PUT was answered" and "the moment DELETE came" become sample positions.
 */

const WRAP = 2 ** 32;

/** The unwrapped value of a 32-bit timestamp: the one nearest to `reference`. */
export function unwrapNear(timestamp32: number, reference: number): number {
  const cycles = Math.round((reference - timestamp32) / WRAP);
  return timestamp32 + cycles * WRAP;
}

export class RtpClock {
  private last: { timestamp: number; arrivedAtMs: number } | undefined;

  constructor(readonly rate: number) {}

  /** Notes a packet's arrival; answers its unwrapped timestamp. */
  observe(timestamp32: number, arrivedAtMs: number): number {
    const timestamp = this.last === undefined ? timestamp32 : unwrapNear(timestamp32, this.last.timestamp);
    // Packets that arrive out of order keep the newest as the reference.
    if (this.last === undefined || timestamp >= this.last.timestamp) this.last = { timestamp, arrivedAtMs };
    return timestamp;
  }

  /** The sender's timestamp at `atMs` on our clock, by the latest packet; undefined before any. */
  timestampAt(atMs: number): number | undefined {
    if (this.last === undefined) return undefined;
    return this.last.timestamp + Math.round(((atMs - this.last.arrivedAtMs) * this.rate) / 1000);
  }
}
