import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { Scheduler, type JobSpec } from './scheduler.js';

/** A scheduler on a clock that moves only when the test says, and the lines it logs. */
function setUp() {
  const lines: Array<{ level: number; msg: string; job?: string; err?: { message: string } }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const clock = new ManualClock(1_000_000);
  const scheduler = new Scheduler(pino({ level: 'info' }, sink), clock);
  return { clock, scheduler, lines };
}

/** A job whose runs the test counts and, when it wants, holds until released. */
function countingJob(overrides: Partial<JobSpec> = {}) {
  const state = { runs: 0, inProgress: 0, mostAtOnce: 0, hold: false, release: () => {} };
  const spec: JobSpec = {
    name: 'count',
    intervalMs: 1000,
    run: async () => {
      state.runs += 1;
      state.inProgress += 1;
      state.mostAtOnce = Math.max(state.mostAtOnce, state.inProgress);
      if (state.hold) await new Promise<void>((resolve) => (state.release = resolve));
      state.inProgress -= 1;
    },
    ...overrides,
  };
  return { spec, state };
}

describe('Scheduler', () => {
  it('runs a job every interval once started, and not before its first interval', async () => {
    const { clock, scheduler } = setUp();
    const { spec, state } = countingJob();
    const job = scheduler.add(spec);
    clock.advance(5000);
    expect(state.runs).toBe(0); // added, not started
    job.start();
    clock.advance(999);
    await job.settled();
    expect(state.runs).toBe(0);
    clock.advance(1);
    await job.settled();
    expect(state.runs).toBe(1);
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await job.settled();
    }
    expect(state.runs).toBe(4);
    await scheduler.stop();
  });

  it('runs at once at start when asked to', async () => {
    const { clock, scheduler } = setUp();
    const { spec, state } = countingJob({ runAtStart: true });
    const job = scheduler.add(spec);
    job.start();
    await job.settled();
    expect(state.runs).toBe(1);
    clock.advance(1000);
    await job.settled();
    expect(state.runs).toBe(2);
    await scheduler.stop();
  });

  it('never overlaps runs of a job: ticks wait for the run in progress, asks meanwhile make one more run', async () => {
    const { clock, scheduler } = setUp();
    const { spec, state } = countingJob();
    const job = scheduler.add(spec);
    job.start();
    state.hold = true;
    clock.advance(1000);
    await Promise.resolve();
    expect(job.isRunning).toBe(true);
    // Ten intervals pass during the run: no tick starts another beside it.
    clock.advance(10_000);
    expect(clock.pendingTimers).toBe(0);
    const asked = [scheduler.runNow('count'), scheduler.runNow('count'), scheduler.runNow('count')];
    expect(state.runs).toBe(1);
    state.hold = false;
    state.release();
    await Promise.all(asked);
    // One more run for the three asks, after the first one, never beside it.
    expect(state.runs).toBe(2);
    expect(state.mostAtOnce).toBe(1);
    await scheduler.stop();
  });

  it('times the next run from the end of the last one, whatever started it', async () => {
    const { clock, scheduler } = setUp();
    const { spec, state } = countingJob();
    const job = scheduler.add(spec);
    job.start();
    clock.advance(600);
    await scheduler.runNow('count'); // at 600: the next tick is due 1000 later, not at 1000
    expect(state.runs).toBe(1);
    clock.advance(900);
    await job.settled();
    expect(state.runs).toBe(1);
    clock.advance(100);
    await job.settled();
    expect(state.runs).toBe(2);
    await scheduler.stop();
  });

  it('logs a failed run with the job name and goes on at the next interval', async () => {
    const { clock, scheduler, lines } = setUp();
    let calls = 0;
    const job = scheduler.add({
      name: 'flaky',
      intervalMs: 1000,
      run: async () => {
        calls += 1;
        if (calls === 1) throw new Error('storage is down');
      },
      failureMessage: 'flaky sweep failed',
    });
    job.start();
    clock.advance(1000);
    await expect(job.settled()).resolves.toBeUndefined();
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: 'flaky sweep failed', job: 'flaky', err: expect.objectContaining({ message: 'storage is down' }) }),
    ]);
    clock.advance(1000);
    await job.settled();
    expect(calls).toBe(2);
    expect(lines).toHaveLength(1);
    // Asked for directly, a failing run is logged too, and the caller's promise still resolves.
    const failing = scheduler.add({ name: 'failing', intervalMs: 1000, run: () => Promise.reject(new Error('no')), failureLevel: 'error' });
    await expect(failing.runNow()).resolves.toBeUndefined();
    expect(lines.at(-1)).toMatchObject({ level: 50, msg: 'scheduled job failed', job: 'failing' });
    await scheduler.stop();
  });

  it('stop waits for the run in progress, and then no run happens', async () => {
    const { clock, scheduler } = setUp();
    const { spec, state } = countingJob();
    const job = scheduler.add(spec);
    job.start();
    state.hold = true;
    clock.advance(1000);
    await Promise.resolve();
    expect(job.isRunning).toBe(true);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    void scheduler.runNow('count'); // asked for while stopping: not run
    // Every promise callback that can run without the run ending has run by the next turn of the loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    state.release();
    await stopping;
    expect(state.inProgress).toBe(0);
    clock.advance(10_000);
    await scheduler.runNow('count');
    expect(state.runs).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs a job on demand before it starts, without starting its timer', async () => {
    const { clock, scheduler } = setUp();
    const { spec, state } = countingJob();
    scheduler.add(spec);
    await scheduler.runNow('count');
    expect(state.runs).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses two jobs of one name, and names the jobs it has when asked for another', () => {
    const { scheduler } = setUp();
    scheduler.add(countingJob().spec);
    expect(() => scheduler.add(countingJob().spec)).toThrow(/already scheduled/);
    expect(() => scheduler.job('sweep')).toThrow(/no job named sweep is scheduled \(there are: count\)/);
    expect(scheduler.names).toEqual(['count']);
  });
});
