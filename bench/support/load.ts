import { performance } from 'node:perf_hooks';

export interface LoadResult {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
}

/**
 * Runs `request` from `concurrency` loops until `total` calls are done; latencies are per call,
 * throughput over the whole run. A warm-up of a tenth of the calls is not counted.
 */
export async function load(request: (i: number) => Promise<void>, total: number, concurrency: number): Promise<LoadResult> {
  const warmup = Math.max(1, Math.floor(total / 10));
  await runLoops(request, warmup, concurrency, []);
  const latencies: number[] = [];
  const started = performance.now();
  await runLoops(request, total, concurrency, latencies);
  const elapsedS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: total, p50Ms: at(0.5), p99Ms: at(0.99), perSecond: total / elapsedS };
}

async function runLoops(request: (i: number) => Promise<void>, total: number, concurrency: number, latencies: number[]) {
  let next = 0;
  const loop = async () => {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      await request(i);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

export async function expectOk(response: Response): Promise<void> {
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}
