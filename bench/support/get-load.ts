import { Worker } from 'node:worker_threads';
import type { LoadResult } from './load.js';

/** What the client thread is asked to do (see get-load-worker.ts). */
export interface GetLoadPlan {
  baseUrl: string;
  headers: Record<string, string>;
  /** Paths sent first and not counted. */
  warmup: string[];
  /** Paths whose latencies are counted. */
  measured: string[];
  concurrency: number;
}

/** What the client thread answers: a latency per measured path, and the run's length. */
export interface GetLoadAnswer {
  kind: 'done';
  latenciesMs: number[];
  elapsedMs: number;
}

/** The client thread's messages: warmed up (it waits for 'go'), then its answer. */
export type GetLoadMessage = { kind: 'warmedUp' } | GetLoadAnswer;

/**
 * GETs `measured` (after `warmup`) from `concurrency` loops, each on a keep-alive HTTP/1.1
 * connection of its own, in a thread of its own: the time of each is from the request's start to
 * the last byte of its answer, as a client sees it, and every answer must be 2xx with all its
 * Content-Length bytes.
 *
 * For answers of hundreds of kilobytes, where the client's own pauses would be counted as the
 * server's latency. In the benchmark's main thread, whose heap holds tsx and the control plane's
 * modules (bench/support imports them), receiving them with fetch or node:http made V8 run full
 * collections of that heap several times per 300 answers of 400 kB. The client thread runs
 * nothing else, and reads every answer into one reused buffer (see get-load-worker.ts), so it
 * allocates next to nothing per answer and does not pause to collect.
 */
export async function getLoad(plan: GetLoadPlan, options: { warmedUp?: () => Promise<void> } = {}): Promise<LoadResult> {
  const worker = new Worker(new URL('./get-load-worker.ts', import.meta.url), { workerData: plan });
  const answer = await new Promise<GetLoadAnswer>((resolve, reject) => {
    worker.on('message', (message: GetLoadMessage) => {
      if (message.kind === 'done') resolve(message);
      // Between the warm-up and the measured requests, the caller may read the server's metrics.
      else void (options.warmedUp?.() ?? Promise.resolve()).then(() => worker.postMessage('go'), reject);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the client thread exited (${code}) without an answer`)));
  });
  await worker.terminate();
  const latencies = [...answer.latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: latencies.length, p50Ms: at(0.5), p99Ms: at(0.99), perSecond: latencies.length / (answer.elapsedMs / 1000) };
}
