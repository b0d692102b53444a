import { describe, expect, it, vi } from 'vitest';
import { settlesWithin } from '../../test/support/waiting.js';
import { lostWorkerReason, Metrics, type QueueSnapshot } from './metrics.js';

const snapshot = (pending: number): QueueSnapshot => ({
  counts: [{ kind: 'render', state: 'pending', count: pending }],
  oldestPendingS: [{ kind: 'render', seconds: 12 }],
  longestSilenceS: [],
  callbacksPending: 3,
  oldestCallbackS: 40,
});
const value = (text: string, line: RegExp) => Number(line.exec(text)?.[1]);
const PENDING = /^cutroom_tasks\{kind="render",state="pending"\} (\d+)$/m;
const ERRORS = /^cutroom_metrics_snapshot_errors_total (\d+)$/m;

describe('the installation-wide gauges', () => {
  it('read the database once per interval, however often Prometheus scrapes', async () => {
    // Only the clock the gauges read is faked, so that the interval passes when the test says.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const metrics = new Metrics();
      let reads = 0;
      metrics.observeQueue(async () => snapshot(++reads), 200);
      // Scrapes while the first read is in flight join it rather than starting another.
      await expect.poll(async () => value(await metrics.registry.metrics(), PENDING), { timeout: 5000, interval: 5 }).toBe(1);
      for (let i = 0; i < 10; i++) await metrics.registry.metrics();
      expect(reads).toBe(1);
      const text = await metrics.registry.metrics();
      expect(value(text, PENDING)).toBe(1);
      expect(value(text, /^cutroom_callbacks_backlog (\d+)$/m)).toBe(3);
      vi.advanceTimersByTime(250);
      await metrics.registry.metrics(); // stale: starts one refresh in the background
      await metrics.registry.metrics();
      await expect.poll(async () => value(await metrics.registry.metrics(), PENDING), { timeout: 5000, interval: 5 }).toBe(2);
      expect(reads).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answer at once with the last values while the database fails or hangs', async () => {
    const metrics = new Metrics();
    let behaviour: 'ok' | 'fail' | 'hang' = 'ok';
    metrics.observeQueue(async () => {
      if (behaviour === 'fail') throw new Error('connection refused');
      if (behaviour === 'hang') return new Promise<QueueSnapshot>(() => {});
      return snapshot(5);
    }, 10);
    await expect.poll(async () => value(await metrics.registry.metrics(), PENDING), { timeout: 5000, interval: 5 }).toBe(5);
    behaviour = 'fail';
    await expect.poll(async () => value(await metrics.registry.metrics(), ERRORS), { timeout: 5000, interval: 10 }).toBeGreaterThanOrEqual(1);
    expect(value(await metrics.registry.metrics(), PENDING)).toBe(5);
    behaviour = 'hang';
    // The snapshot is stale, so the first of these scrapes starts a read that never answers.
    for (let i = 0; i < 3; i++) {
      const text = await settlesWithin(metrics.registry.metrics(), 1000, 'a scrape while the database hangs');
      expect(value(text, PENDING)).toBe(5);
    }
  });
});

describe('lost worker reasons', () => {
  it.each([
    ['OOMKilled: the container used more than its memory limit', 'OOMKilled'],
    ['Evicted: The node was low on resource: ephemeral-storage', 'Evicted'],
    ['DeadlineExceeded: Job was active longer than specified deadline', 'DeadlineExceeded'],
    ['ImagePullBackOff: Back-off pulling image', 'ImagePull'],
    ['ErrImagePull: not found', 'ImagePull'],
    ['render node killed by SIGKILL', 'Killed'],
    ['heartbeat timeout', 'HeartbeatTimeout'],
    ['JobDeleted: the Job was deleted', 'Deleted'],
    ['render node exited with code 1', 'Error'],
  ])('%s is %s', (reason, label) => {
    expect(lostWorkerReason(reason)).toBe(label);
  });
});
