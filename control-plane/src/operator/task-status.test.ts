import { describe, expect, it } from 'vitest';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { TaskResource } from '../kubernetes/task-resource.js';
import { desiredStatus, sameStatus } from './task-status.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

const resource = (status?: TaskResource['status'], attempt = 1): TaskResource => ({
  apiVersion: 'cutroom.io/v1alpha1',
  kind: 'RenderTask',
  metadata: { name: 't-01', namespace: 'default', uid: 'r-uid', generation: attempt, resourceVersion: '5' },
  spec: { taskId: 'x', kind: 'render', attempt, gpu: false, internalUrl: 'http://cp', deadlineSeconds: 600, tokenSecretRef: { name: 't-01', key: 'token' } },
  status,
});
const job = (status: V1Job['status'] = {}, attempt = 1): V1Job => ({
  metadata: { name: `t-01-a${attempt}`, uid: `job-${attempt}`, labels: { 'cutroom.io/attempt': String(attempt) } },
  spec: { activeDeadlineSeconds: 600, template: {} },
  status: { startTime: at(0), ...status },
});
const pod = (status: V1Pod['status'], createdS = 0): V1Pod => ({
  metadata: { name: 'p', creationTimestamp: at(createdS) },
  spec: { containers: [], nodeName: 'node-7' },
  status,
});
const failedJob = (reason = 'BackoffLimitExceeded') =>
  job({ conditions: [{ type: 'Failed', status: 'True', reason, message: 'Job has reached the specified backoff limit', lastTransitionTime: at(30) }] });
const terminated = (exitCode: number, reason: string) =>
  pod({
    phase: 'Failed',
    containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason } } }],
  });
const waiting = (reason: string, createdS = 0) =>
  pod(
    {
      phase: 'Pending',
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message: 'boom' } } }],
    },
    createdS,
  );

describe('desiredStatus', () => {
  it('goes Pending, Running, Succeeded with the node, times, progress and conditions', () => {
    const pending = desiredStatus(resource(), job(), [pod({ phase: 'Pending' })], T0, 300_000).status;
    expect(pending).toMatchObject({ phase: 'Pending', attempt: 1, job: 't-01-a1', observedGeneration: 1, startTime: '2026-01-01T00:00:00Z' });
    const running = desiredStatus(resource({ ...pending, progress: 40 }), job(), [pod({ phase: 'Running' })], T0 + 5000, 300_000).status;
    expect(running).toMatchObject({ phase: 'Running', node: 'node-7', progress: 40 });
    expect(running.conditions!.find((c) => c.type === 'Running')).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:05Z' });
    const done = desiredStatus(
      resource(running),
      job({ completionTime: at(20), conditions: [{ type: 'Complete', status: 'True' }] }),
      [pod({ phase: 'Succeeded' })],
      T0 + 21_000,
      300_000,
    ).status;
    expect(done).toMatchObject({
      phase: 'Succeeded',
      progress: 100,
      completionTime: '2026-01-01T00:00:20Z',
      attempts: [{ attempt: 1, phase: 'Succeeded', jobUid: 'job-1' }],
    });
    // JobCreated stayed True all along: its transition time is the first one.
    expect(done.conditions!.find((c) => c.type === 'JobCreated')!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  it.each([
    [
      terminated(137, 'OOMKilled'),
      'BackoffLimitExceeded',
      'OOMKilled',
      'the render node was killed for using more memory than its limit (exit code 137) on node node-7',
    ],
    [terminated(2, 'Error'), 'BackoffLimitExceeded', 'Error', 'the render node exited with code 2 on node node-7'],
    [pod({ phase: 'Running' }), 'DeadlineExceeded', 'DeadlineExceeded', 'the attempt ran longer than its deadline of 600 s'],
    [
      pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' }),
      'BackoffLimitExceeded',
      'Evicted',
      "the render node's pod was evicted on node node-7: The node was low on resource: ephemeral-storage.",
    ],
  ])('says why an attempt failed (%#)', (p, jobReason, reason, message) => {
    const status = desiredStatus(resource(), failedJob(jobReason), [p], T0 + 31_000, 300_000).status;
    expect(status).toMatchObject({ phase: 'Failed', reason, message, completionTime: '2026-01-01T00:00:30Z' });
    expect(status.conditions!.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason, message });
  });

  it('gives a pod that cannot pull its image until the start timeout, then abandons the Job', () => {
    const early = desiredStatus(resource(), job(), [waiting('ImagePullBackOff', 0)], T0 + 100_000, 300_000);
    expect(early).toMatchObject({ abandonJob: false, recheckAfterMs: 200_000, status: { phase: 'Pending', reason: 'ImagePullBackOff' } });
    const late = desiredStatus(resource(early.status), job(), [waiting('ImagePullBackOff', 0)], T0 + 300_000, 300_000);
    expect(late).toMatchObject({
      abandonJob: true,
      status: { phase: 'Failed', reason: 'ImagePullBackOff', message: 'the render node cannot start: ImagePullBackOff: boom' },
    });
    expect(desiredStatus(resource(), job(), [waiting('InvalidImageName')], T0, 300_000).abandonJob).toBe(true);
    // Recorded Failed, the Job still there (its deletion failed): it is still to go, the record kept.
    const again = desiredStatus(resource(late.status), job(), [waiting('ImagePullBackOff', 0)], T0 + 400_000, 300_000);
    expect(again.abandonJob).toBe(true);
    expect(sameStatus(late.status, again.status)).toBe(true);
    // A Job that finished by itself is not deleted for it.
    expect(desiredStatus(resource(late.status), failedJob(), [], T0 + 400_000, 300_000).abandonJob).toBe(false);
  });

  it('waits without failing while no node fits (an autoscaler may add one)', () => {
    const unschedulable = pod({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }],
    });
    unschedulable.spec!.nodeName = undefined;
    const decision = desiredStatus(resource(), job(), [unschedulable], T0 + 10 ** 9, 300_000);
    expect(decision).toMatchObject({ abandonJob: false, status: { phase: 'Pending', reason: 'Unschedulable', message: '0/3 nodes are available' } });
  });

  it('keeps a finished attempt as it was once its Job is gone, and fails one whose Job vanished', () => {
    const done = desiredStatus(resource(), job({ conditions: [{ type: 'Complete', status: 'True' }], completionTime: at(9) }), [], T0 + 10_000, 1).status;
    const later = desiredStatus(resource(done), undefined, [], T0 + 10 ** 8, 1);
    expect(sameStatus(done, later.status)).toBe(true);

    const running = desiredStatus(resource(), job(), [pod({ phase: 'Running' })], T0, 1).status;
    const vanished = desiredStatus(resource(running), undefined, [], T0 + 50_000, 1).status;
    expect(vanished).toMatchObject({ phase: 'Failed', reason: 'JobDeleted', completionTime: '2026-01-01T00:00:50Z' });
  });

  it('starts a new attempt from zero progress and keeps the history of the last one', () => {
    const failed = desiredStatus(resource({ progress: 70, attempt: 1 }), failedJob(), [terminated(1, 'Error')], T0 + 40_000, 1).status;
    const second = desiredStatus(resource(failed, 2), job({}, 2), [pod({ phase: 'Running' })], T0 + 50_000, 1).status;
    expect(second).toMatchObject({ phase: 'Running', attempt: 2, observedGeneration: 2, job: 't-01-a2' });
    expect(second.progress).toBeUndefined();
    expect(second.attempts!.map((a) => [a.attempt, a.phase])).toEqual([
      [1, 'Failed'],
      [2, 'Running'],
    ]);
    expect(second.reason).toBeUndefined();
  });
});
