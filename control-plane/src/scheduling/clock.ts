/**
 * Time as the scheduler sees it: the system's, or a test's that moves only when told
 * (`ManualClock`), so a test runs a periodic job without waiting for its interval.
 */
export interface Clock {
  now(): number;
  /** Calls `callback` once, `delayMs` from now; the timer must not keep the process alive. */
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // Unref'd: a pending periodic job never holds a process that is otherwise done.
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};
