import type { Clock } from './clock.js';

interface Pending {
  atMs: number;
  callback: () => void;
}

/** A clock for tests: time stands still until `advance`, which fires the timers that fall due in order. */
export class ManualClock implements Clock {
  private readonly timers = new Map<number, Pending>();
  private lastId = 0;

  constructor(private nowMs = 0) {}

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): number {
    this.lastId += 1;
    this.timers.set(this.lastId, { atMs: this.nowMs + Math.max(0, delayMs), callback });
    return this.lastId;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing each timer due by then at its own time, earliest first. */
  advance(ms: number): void {
    const targetMs = this.nowMs + ms;
    for (;;) {
      let next: [number, Pending] | undefined;
      for (const entry of this.timers) if (entry[1].atMs <= targetMs && (!next || entry[1].atMs < next[1].atMs)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.nowMs = next[1].atMs;
      next[1].callback();
    }
    this.nowMs = targetMs;
  }
}
