/**
 * RTP timestamps are 32-bit and wrap (every 24.9 hours at 48 kHz). The recorder counts on an
 * unwrapped line instead, and ties it to the wall clock through the packets' arrival, so that
 * "the moment PUT was answered" and "the moment DELETE came" become sample positions.
 *
 * A packet arrives some delay after the sender stamped it, and that delay varies (the network,
 * a busy event loop on either side). The tie uses the packet that came the soonest after its
 * stamp over the last few seconds: the least delayed says best where the sender's clock is.
 */

const WRAP = 2 ** 32;
/** How far back packets are weighed for the tie. */
const WINDOW_MS = 3000;

/** The unwrapped value of a 32-bit timestamp: the one nearest to `reference`. */
export function unwrapNear(timestamp32: number, reference: number): number {
  const cycles = Math.round((reference - timestamp32) / WRAP);
  return timestamp32 + cycles * WRAP;
}

export class RtpClock {
  private newest: number | undefined;
  /** Per recent packet: when it arrived, and that arrival less its stamp (ms on our clock). */
  private readonly recent: Array<{ arrivedAtMs: number; offsetMs: number }> = [];

  constructor(readonly rate: number) {}

  /** Notes a packet's arrival; answers its unwrapped timestamp. */
  observe(timestamp32: number, arrivedAtMs: number): number {
    const timestamp = this.newest === undefined ? timestamp32 : unwrapNear(timestamp32, this.newest);
    if (this.newest === undefined || timestamp > this.newest) this.newest = timestamp;
    this.recent.push({ arrivedAtMs, offsetMs: arrivedAtMs - (timestamp * 1000) / this.rate });
    while (this.recent.length > 1 && this.recent[0]!.arrivedAtMs < arrivedAtMs - WINDOW_MS) this.recent.shift();
    return timestamp;
  }

  /** The sender's timestamp at `atMs` on our clock; undefined before any packet. */
  timestampAt(atMs: number): number | undefined {
    if (this.recent.length === 0) return undefined;
    const offsetMs = Math.min(...this.recent.map((r) => r.offsetMs));
    return Math.round(((atMs - offsetMs) * this.rate) / 1000);
  }
}
