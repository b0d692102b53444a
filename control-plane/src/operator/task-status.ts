import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { kubeTime } from '../kubernetes/kube-client.js';
import { isFinished, type AttemptRecord, type TaskCondition, type TaskPhase, type TaskResource, type TaskResourceStatus } from '../kubernetes/task-resource.js';

/**
 * The status a task resource should show, from its Job and the Job's pods: a pure function of
 * what the operator observes, so a reconcile can compare it with the stored status and write
 * only a difference. An attempt that reached Succeeded or Failed stays so, even after the Job
 * is gone (ttlSecondsAfterFinished): the status is the record of what happened.
 */

/** Waiting reasons that do not get better by themselves. */
const START_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);
const HOPELESS = new Set(['InvalidImageName', 'ErrImageNeverPull']);
const MAX_ATTEMPT_RECORDS = 20;

export interface StatusDecision {
  status: TaskResourceStatus;
  /** The pod cannot start: the attempt is recorded Failed and the Job must go (after the record). */
  abandonJob: boolean;
  /** Look again after this long (a pod that may still start within the start timeout). */
  recheckAfterMs?: number;
}

interface Observation {
  phase: TaskPhase;
  reason?: string;
  message?: string;
  node?: string;
  startTime?: string;
  completionTime?: string;
  abandon?: boolean;
  recheckAfterMs?: number;
}

export function observeJob(job: V1Job, pods: readonly V1Pod[], nowMs: number, startTimeoutMs: number): Observation {
  const complete = jobCondition(job, 'Complete');
  const failed = jobCondition(job, 'Failed');
  const pod = [...pods].sort((a, b) => time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp))[0];
  const container = pod?.status?.containerStatuses?.[0];
  const terminated = container?.state?.terminated;
  const waiting = container?.state?.waiting;
  const node = pod?.spec?.nodeName || undefined;
  const startTime = kubeTime(job.status?.startTime);

  if (complete) {
    return { phase: 'Succeeded', node, startTime, completionTime: kubeTime(job.status?.completionTime ?? complete.lastTransitionTime) };
  }
  if (failed) {
    const base = { phase: 'Failed' as const, node, startTime, completionTime: kubeTime(failed.lastTransitionTime) };
    const where = node ? ` on node ${node}` : '';
    if (terminated?.reason === 'OOMKilled') {
      return {
        ...base,
        reason: 'OOMKilled',
        message: `the render node was killed for using more memory than its limit (exit code ${terminated.exitCode})${where}`,
      };
    }
    if (failed.reason === 'DeadlineExceeded') {
      return { ...base, reason: 'DeadlineExceeded', message: `the attempt ran longer than its deadline of ${job.spec?.activeDeadlineSeconds} s` };
    }
    if (pod?.status?.reason === 'Evicted') {
      return { ...base, reason: 'Evicted', message: `the render node's pod was evicted${where}: ${pod.status.message ?? ''}`.trim() };
    }
    if (terminated) {
      const detail = terminated.message ? `: ${terminated.message}` : '';
      return { ...base, reason: 'Error', message: `the render node exited with code ${terminated.exitCode}${where}${detail}` };
    }
    return { ...base, reason: failed.reason || 'JobFailed', message: failed.message || 'the Job failed' };
  }
  if (pod?.status?.phase === 'Running') return { phase: 'Running', node, startTime };

  // Pending: say why, and give up on pods that cannot start.
  const scheduled = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (waiting?.reason && (START_FAILURES.has(waiting.reason) || HOPELESS.has(waiting.reason))) {
    const waitedMs = nowMs - time(pod?.metadata?.creationTimestamp);
    const message = `the render node cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
    if (HOPELESS.has(waiting.reason) || waitedMs >= startTimeoutMs) {
      return { phase: 'Failed', reason: waiting.reason, message, node, startTime, completionTime: kubeTime(nowMs), abandon: true };
    }
    return { phase: 'Pending', reason: waiting.reason, message, node, startTime, recheckAfterMs: startTimeoutMs - waitedMs };
  }
  if (scheduled?.status === 'False') {
    // Not a failure: an autoscaler may be adding the node; activeDeadlineSeconds bounds the wait.
    return { phase: 'Pending', reason: scheduled.reason || 'Unschedulable', message: scheduled.message ?? '', startTime };
  }
  return { phase: 'Pending', node, startTime };
}

/** The Job's condition of this type when it holds (status True). */
function jobCondition(job: V1Job, type: 'Complete' | 'Failed') {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function desiredStatus(resource: TaskResource, job: V1Job | undefined, pods: readonly V1Pod[], nowMs: number, startTimeoutMs: number): StatusDecision {
  const current = resource.status ?? {};
  const attempt = resource.spec.attempt;
  const existing = current.attempts?.find((r) => r.attempt === attempt);
  let record: AttemptRecord | undefined;
  let abandonJob = false;
  let recheckAfterMs: number | undefined;

  if (existing && isFinished(existing.phase)) {
    record = existing;
    // The failure is on record but its Job still stands (the deletion after the record failed).
    abandonJob = existing.phase === 'Failed' && job !== undefined && !jobCondition(job, 'Complete') && !jobCondition(job, 'Failed');
  } else if (job) {
    const seen = observeJob(job, pods, nowMs, startTimeoutMs);
    abandonJob = seen.abandon === true;
    recheckAfterMs = seen.recheckAfterMs;
    record = compact({
      attempt,
      job: job.metadata!.name!,
      jobUid: job.metadata?.uid,
      phase: seen.phase,
      startTime: seen.startTime,
      completionTime: seen.completionTime,
      reason: seen.reason,
      message: seen.message,
      node: seen.node,
    });
  } else if (existing) {
    record = compact({
      ...existing,
      phase: 'Failed' as const,
      reason: 'JobDeleted',
      message: 'the Job was deleted before it finished',
      completionTime: kubeTime(nowMs),
    });
  }

  const attempts = [...(current.attempts ?? []).filter((r) => r.attempt !== attempt), ...(record ? [record] : [])]
    .sort((a, b) => a.attempt - b.attempt)
    .slice(-MAX_ATTEMPT_RECORDS);
  const phase: TaskPhase = record?.phase ?? 'Pending';
  const sameAttempt = current.attempt === attempt;
  const progress = phase === 'Succeeded' ? 100 : sameAttempt ? current.progress : undefined;

  const status: TaskResourceStatus = compact({
    phase,
    progress,
    attempt,
    attempts,
    startTime: record?.startTime,
    completionTime: record?.completionTime,
    reason: record?.reason,
    message: record?.message,
    node: record?.node,
    job: record?.job,
    observedGeneration: resource.metadata.generation,
    conditions: conditionsFor(current.conditions ?? [], record, phase, resource.metadata.generation, nowMs),
  });
  return { status, abandonJob, recheckAfterMs };
}

function conditionsFor(
  previous: readonly TaskCondition[],
  record: AttemptRecord | undefined,
  phase: TaskPhase,
  generation: number | undefined,
  nowMs: number,
): TaskCondition[] {
  const wanted: Array<Omit<TaskCondition, 'lastTransitionTime' | 'observedGeneration'>> = [
    record
      ? { type: 'JobCreated', status: 'True', reason: 'JobCreated', message: `Job ${record.job} runs attempt ${record.attempt}` }
      : { type: 'JobCreated', status: 'False', reason: 'Pending', message: 'the Job is not created yet' },
    phase === 'Running'
      ? { type: 'Running', status: 'True', reason: 'PodRunning', message: `the render node runs${record?.node ? ` on node ${record.node}` : ''}` }
      : {
          type: 'Running',
          status: 'False',
          reason: phase === 'Pending' ? record?.reason || 'NotStarted' : phase,
          message: phase === 'Pending' ? (record?.message ?? '') : '',
        },
    phase === 'Succeeded'
      ? { type: 'Complete', status: 'True', reason: 'JobComplete', message: 'the render node finished' }
      : { type: 'Complete', status: 'False', reason: 'NotComplete', message: '' },
    phase === 'Failed'
      ? { type: 'Failed', status: 'True', reason: record?.reason || 'JobFailed', message: record?.message ?? '' }
      : { type: 'Failed', status: 'False', reason: 'NotFailed', message: '' },
  ];
  return wanted.map((condition) => {
    const before = previous.find((p) => p.type === condition.type);
    const lastTransitionTime = before && before.status === condition.status ? before.lastTransitionTime : kubeTime(nowMs)!;
    return { ...condition, observedGeneration: generation, lastTransitionTime } as TaskCondition;
  });
}

/** Same status, as far as the API server will store it (undefined fields are not written). */
export function sameStatus(a: TaskResourceStatus | undefined, b: TaskResourceStatus): boolean {
  return JSON.stringify(sortKeys(compact(a ?? {}))) === JSON.stringify(sortKeys(b));
}

function compact<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function time(value: Date | string | undefined): number {
  return value === undefined ? 0 : new Date(value).getTime();
}
