import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconcileQueue } from './reconcile-queue.js';

describe('ReconcileQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('holds a key once however often it is added', async () => {
    const depths: number[] = [];
    const queue = new ReconcileQueue({ onDepth: (d) => depths.push(d) });
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(depths.at(-1)).toBe(0);
  });

  it('never hands a key being processed to a second worker, and brings it back once done', async () => {
    const queue = new ReconcileQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    queue.add('a');
    let second: string | undefined;
    void queue.get().then((k) => (second = k));
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBeUndefined();
    queue.done(first!);
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBe('a');
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('backs off a failing key exponentially and starts over once it succeeds', async () => {
    const queue = new ReconcileQueue({ baseDelayMs: 100, maxDelayMs: 1000 });
    const due: number[] = [];
    for (let failure = 0; failure < 5; failure++) {
      const start = Date.now();
      queue.addRateLimited('k');
      let got: string | undefined;
      const waiting = queue.get().then((k) => (got = k));
      while (got === undefined) await vi.advanceTimersByTimeAsync(10);
      await waiting;
      due.push(Date.now() - start);
      queue.done('k');
    }
    expect(due).toEqual([100, 200, 400, 800, 1000]);
    queue.forget('k');
    queue.addRateLimited('k');
    await vi.advanceTimersByTimeAsync(100);
    expect(queue.length).toBe(1);
  });

  it('keeps the earliest of two delayed adds', async () => {
    const queue = new ReconcileQueue();
    queue.addAfter('k', 1000);
    queue.addAfter('k', 50);
    queue.addAfter('k', 500);
    await vi.advanceTimersByTimeAsync(60);
    expect(queue.length).toBe(1);
  });

  it('releases waiting workers on shutdown', async () => {
    const queue = new ReconcileQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('late');
    expect(await queue.get()).toBeUndefined();
  });
});
