import { describe, expect, it, vi } from 'vitest';
import { HttpError } from '../../http/errors.js';
import { ExtractionLimiter } from './extraction-limiter.js';

/** A job that runs until released (or aborted), recording what ran. */
function gate() {
  const started: number[] = [];
  const aborted: number[] = [];
  const releases = new Map<number, () => void>();
  let running = 0;
  let peak = 0;
  const job = (n: number) => (signal: AbortSignal) =>
    new Promise<number>((resolve, reject) => {
      started.push(n);
      running += 1;
      peak = Math.max(peak, running);
      const done = () => (running -= 1);
      releases.set(n, () => {
        done();
        resolve(n);
      });
      signal.addEventListener('abort', () => {
        done();
        aborted.push(n);
        reject(signal.reason);
      });
    });
  const release = async (n: number) => {
    await vi.waitFor(() => expect(releases.has(n), `job ${n} started`).toBe(true), { timeout: 1000, interval: 1 });
    releases.get(n)!();
  };
  return { job, release, started, aborted, peak: () => peak };
}

describe('ExtractionLimiter', () => {
  it('runs jobs of every request under one limit, in order, and answers each its own results', async () => {
    const limiter = new ExtractionLimiter({ concurrency: 2, maxQueued: 10 });
    const g = gate();
    const a = limiter.runAll([g.job(1), g.job(2), g.job(3)], new AbortController().signal);
    const b = limiter.runAll([g.job(4), g.job(5)], new AbortController().signal);
    for (const n of [1, 2, 3, 4, 5]) await g.release(n);
    expect(await a).toEqual([1, 2, 3]);
    expect(await b).toEqual([4, 5]);
    expect(g.started).toEqual([1, 2, 3, 4, 5]);
    expect(g.peak()).toBe(2);
  });

  it('refuses a whole request with 503 and Retry-After when its jobs would overflow the queue', async () => {
    const limiter = new ExtractionLimiter({ concurrency: 1, maxQueued: 2 });
    const g = gate();
    const first = limiter.runAll([g.job(1), g.job(2), g.job(3)], new AbortController().signal);
    await g.release(1);
    await vi.waitFor(() => expect(g.started).toContain(2), { timeout: 1000, interval: 1 });
    // One running (2), one waiting (3): two more would make three waiting.
    const refused = await limiter.runAll([g.job(4), g.job(5)], new AbortController().signal).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(503);
    expect((refused as HttpError).headers['Retry-After']).toBe('2');
    const fits = limiter.runAll([g.job(6)], new AbortController().signal);
    for (const n of [2, 3, 6]) await g.release(n);
    expect(await first).toEqual([1, 2, 3]);
    expect(await fits).toEqual([6]);
    expect(g.started).not.toContain(4);
  });

  it('stops the running jobs of an aborted request and never starts its waiting ones', async () => {
    const limiter = new ExtractionLimiter({ concurrency: 1, maxQueued: 10 });
    const g = gate();
    const client = new AbortController();
    const gone = limiter.runAll([g.job(1), g.job(2), g.job(3)], client.signal).catch((e: unknown) => e);
    const other = limiter.runAll([g.job(4)], new AbortController().signal);
    await vi.waitFor(() => expect(g.started).toEqual([1]), { timeout: 1000, interval: 1 });
    client.abort(new Error('client left'));
    expect(await gone).toMatchObject({ message: 'client left' });
    expect(g.aborted).toEqual([1]);
    await g.release(4);
    expect(await other).toEqual([4]);
    expect(g.started).toEqual([1, 4]);
    expect(limiter.waiting).toBe(0);
  });

  it('fails a request as a whole when one of its jobs fails, stopping the others', async () => {
    const limiter = new ExtractionLimiter({ concurrency: 2, maxQueued: 10 });
    const g = gate();
    const failing = (signal: AbortSignal) => Promise.reject(new Error(`ffmpeg failed ${signal.aborted}`));
    const result = await limiter.runAll([g.job(1), failing, g.job(3)], new AbortController().signal).catch((e: unknown) => e);
    expect(result).toMatchObject({ message: 'ffmpeg failed false' });
    // Whatever of it had started is stopped.
    await vi.waitFor(
      () => {
        expect(g.aborted.sort()).toEqual(g.started.sort());
        expect(limiter.running + limiter.waiting).toBe(0);
      },
      { timeout: 1000, interval: 1 },
    );
  });
});
