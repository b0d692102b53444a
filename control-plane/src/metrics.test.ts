import { describe, expect, it } from 'vitest';
import { lostWorkerReason, Metrics, type QueueSnapshot } from './metrics.js';

const snapshot = (pending: number): QueueSnapshot => ({
  counts: [{ kind: 'render', state: 'pending', count: pending }],
  oldestPendingS: [{ kind: 'render', seconds: 12 }],
  longestSilenceS: [],
  callbacksPending: 3,
  oldestCallbackS: 40,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const value = (text: string, line: RegExp) => Number(line.exec(text)?.[1]);

describe('the installation-wide gauges', () => {
  it('read the database once per interval, however often Prometheus scrapes', async () => {
    const metrics = new Metrics();
    let reads = 0;
    metrics.observeQueue(async () => snapshot(++reads), 200);
    await sleep(20);
    for (let i = 0; i < 10; i++) await metrics.registry.metrics();
    expect(reads).toBe(1);
    const text = await metrics.registry.metrics();
    expect(value(text, /^cutroom_tasks\{kind="render",state="pending"\} (\d+)$/m)).toBe(1);
    expect(value(text, /^cutroom_callbacks_backlog (\d+)$/m)).toBe(3);
    await sleep(250);
    await metrics.registry.metrics(); // stale: starts one refresh in the background
    await metrics.registry.metrics();
    await sleep(20);
    expect(reads).toBe(2);
    expect(value(await metrics.registry.metrics(), /^cutroom_tasks\{kind="render",state="pending"\} (\d+)$/m)).toBe(2);
  });

  it('answer at once with the last values while the database fails or hangs', async () => {
    const metrics = new Metrics();
    let behaviour: 'ok' | 'fail' | 'hang' = 'ok';
    metrics.observeQueue(async () => {
      if (behaviour === 'fail') throw new Error('connection refused');
      if (behaviour === 'hang') return new Promise<QueueSnapshot>(() => {});
      return snapshot(5);
    }, 10);
    await sleep(20);
    behaviour = 'fail';
    await metrics.registry.metrics();
    await sleep(20);
    let text = await metrics.registry.metrics();
    expect(value(text, /^cutroom_tasks\{kind="render",state="pending"\} (\d+)$/m)).toBe(5);
    expect(value(text, /^cutroom_metrics_snapshot_errors_total (\d+)$/m)).toBeGreaterThanOrEqual(1);
    behaviour = 'hang';
    await sleep(20);
    const started = Date.now();
    text = await metrics.registry.metrics();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(value(text, /^cutroom_tasks\{kind="render",state="pending"\} (\d+)$/m)).toBe(5);
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
