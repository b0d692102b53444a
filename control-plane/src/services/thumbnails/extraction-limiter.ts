import PQueue from 'p-queue';
import { serviceUnavailable } from '../../http/errors.js';

/**
 * One queue for every live frame extraction of this process (ffmpeg runs in the API process for
 * `cached=false` thumbnails): at most `concurrency` run at once, whoever asked, and at most
 * `maxQueued` wait. A request whose frames would not fit in the queue is refused whole with a
 * 503 rather than queued behind minutes of work; a request whose client went away leaves the
 * queue, and its running extractions are stopped.
 */

export interface ExtractionLimits {
  /** Extractions (ffmpeg processes) running at once in this process. */
  concurrency: number;
  /** Extractions waiting at most; past it a request is answered 503. */
  maxQueued: number;
}

export class ExtractionLimiter {
  private readonly queue: PQueue;

  constructor(private readonly limits: ExtractionLimits) {
    this.queue = new PQueue({ concurrency: limits.concurrency });
  }

  /** Extractions running now. */
  get running(): number {
    return this.queue.pending;
  }

  /** Extractions waiting for a slot. */
  get waiting(): number {
    return this.queue.size;
  }

  /**
   * Runs `jobs` under the global limit, in order of arrival, and resolves with their results
   * in the same order. Each job gets a signal that aborts when `signal` does; once it aborts,
   * jobs still waiting are dropped and the call rejects with its reason.
   */
  async runAll<T>(jobs: ReadonlyArray<(signal: AbortSignal) => Promise<T>>, signal: AbortSignal): Promise<T[]> {
    signal.throwIfAborted();
    // Those that find no free slot wait: they are what the bound is about.
    const freeSlots = Math.max(0, this.limits.concurrency - this.queue.pending);
    if (this.queue.size + Math.max(0, jobs.length - freeSlots) > this.limits.maxQueued) {
      throw serviceUnavailable(
        `too many thumbnails are being extracted now (${this.queue.pending} running, ${this.queue.size} waiting); retry shortly or ask for cached=true`,
      ).withHeaders({ 'Retry-After': '2' });
    }
    // A failed frame stops its siblings too: the request fails as a whole.
    const own = new AbortController();
    const stop = () => own.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    try {
      return await Promise.all(
        jobs.map((job) =>
          this.queue
            .add(({ signal: jobSignal }) => job(jobSignal!), { signal: own.signal })
            .catch((error: unknown) => {
              own.abort(error);
              throw error;
            }),
        ),
      );
    } finally {
      signal.removeEventListener('abort', stop);
      own.abort();
    }
  }
}
