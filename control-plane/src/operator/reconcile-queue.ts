/**
 * The operator's queue of resource keys to reconcile, as controllers use them (not the control
 * plane's task WorkQueue): a key waits in the queue at most once however
 * often it is added; a key being processed is never handed to a second worker, and when it was
 * added again meanwhile it comes back once the first worker is done. Failed keys come back
 * after a per-key exponential back-off.
 */
export class ReconcileQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; dueAtMs: number }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;

  constructor(private readonly options: { baseDelayMs?: number; maxDelayMs?: number; onDepth?: (depth: number) => void } = {}) {}

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
      this.reportDepth();
    }
  }

  /** Adds the key after a delay; of several pending delays for one key the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const dueAtMs = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing) {
      if (existing.dueAtMs <= dueAtMs) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.timers.set(key, { timer, dueAtMs });
  }

  /** Adds the key back after its back-off, which doubles with each failure in a row. */
  addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const delay = Math.min((this.options.baseDelayMs ?? 50) * 2 ** failures, this.options.maxDelayMs ?? 60_000);
    this.addAfter(key, delay);
  }

  /** The key succeeded: its back-off starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process, or undefined once the queue shuts down. */
  async get(): Promise<string | undefined> {
    if (this.shuttingDown) return undefined;
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.reportDepth();
      return key;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    this.queue.length = 0;
    this.dirty.clear();
    this.reportDepth();
  }

  private reportDepth(): void {
    this.options.onDepth?.(this.queue.length);
  }
}
