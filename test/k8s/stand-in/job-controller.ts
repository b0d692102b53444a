import type { ObjectStore } from './object-store.js';
import type { Registry } from './registry.js';
import { typeKey, type KubeObject, type ResourceType } from './resource-types.js';

/**
 * The Job controller of kube-controller-manager, for non-indexed Jobs of one completion: it
 * makes a pod from the template, counts finished pods (holding them with the job-tracking
 * finalizer until counted), replaces failed pods up to backoffLimit, enforces
 * activeDeadlineSeconds, writes the Complete/Failed conditions and deletes finished Jobs after
 * ttlSecondsAfterFinished.
 */

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const timestamp = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const terminal = (pod: KubeObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export interface JobControllerOptions {
  /** Delay before a failed pod is replaced (the real controller backs off from 10 s). */
  retryDelayMs?: number;
}

export class JobController {
  private readonly scheduled = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: Registry,
    private readonly jobs: ResourceType,
    private readonly pods: ResourceType,
    private readonly options: JobControllerOptions = {},
  ) {
    this.unsubscribe = store.subscribe((event) => {
      if (event.typeKey === typeKey(jobs)) this.schedule(event.object.metadata.namespace!, event.object.metadata.name!);
      if (event.typeKey === typeKey(pods)) {
        const owner = (event.object.metadata.ownerReferences ?? []).find((ref: { kind: string; controller?: boolean }) => ref.kind === 'Job' && ref.controller);
        if (owner) this.schedule(event.object.metadata.namespace!, owner.name);
        if (event.type !== 'DELETED') setImmediate(() => this.releaseOrphan(event.object.metadata.namespace!, event.object.metadata.name!));
      }
    });
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const timers of this.timers.values()) timers.forEach(clearTimeout);
  }

  private schedule(namespace: string, name: string, delayMs = 0): void {
    const key = `${namespace}/${name}`;
    if (delayMs > 0) {
      const timer = setTimeout(() => this.schedule(namespace, name), delayMs);
      this.timers.set(key, [...(this.timers.get(key) ?? []), timer]);
      return;
    }
    if (this.scheduled.has(key) || this.closed) return;
    this.scheduled.add(key);
    setImmediate(() => {
      this.scheduled.delete(key);
      if (this.closed) return;
      try {
        this.reconcile(namespace, name);
      } catch (error) {
        if ((error as { code?: number }).code === 409 || (error as { code?: number }).code === 404) this.schedule(namespace, name, 10);
        else console.error('stand-in job controller failed', error);
      }
    });
  }

  private reconcile(namespace: string, name: string): void {
    const job = this.store.get(this.jobs, namespace, name);
    if (!job) {
      this.timers.get(`${namespace}/${name}`)?.forEach(clearTimeout);
      this.timers.delete(`${namespace}/${name}`);
      return;
    }
    const uid = job.metadata.uid as string;
    const now = Date.now();
    const owned = this.store
      .list(this.pods, namespace)
      .filter((pod) => (pod.metadata.ownerReferences ?? []).some((ref: { uid: string; controller?: boolean }) => ref.uid === uid && ref.controller));
    const status = { succeeded: 0, failed: 0, ...structuredClone(job.status ?? {}) } as Record<string, any>;

    // Count finished pods once, then let them go.
    for (const pod of owned) {
      const tracked = (pod.metadata.finalizers ?? []).includes(TRACKING_FINALIZER);
      if (!tracked) continue;
      const neverRan = pod.metadata.deletionTimestamp && !pod.spec.nodeName;
      if (!terminal(pod) && !neverRan) continue;
      if (pod.status?.phase === 'Succeeded') status.succeeded++;
      else {
        status.failed++;
        this.lastFailureAt.set(uid, now);
      }
      this.registry.update(this.pods, namespace, pod.metadata.name!, {
        ...pod,
        metadata: { ...pod.metadata, finalizers: pod.metadata.finalizers.filter((f: string) => f !== TRACKING_FINALIZER) },
      });
    }

    const active = owned.filter((pod) => !terminal(pod) && !pod.metadata.deletionTimestamp);
    const terminating = owned.filter((pod) => !terminal(pod) && pod.metadata.deletionTimestamp);
    const conditions: Array<Record<string, unknown>> = status.conditions ?? [];
    const finished = conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    status.startTime ??= timestamp(now);

    const finish = (type: 'Complete' | 'Failed', reason: string, message: string) => {
      conditions.push({ type, status: 'True', lastProbeTime: timestamp(now), lastTransitionTime: timestamp(now), reason, message });
      status.conditions = conditions;
      if (type === 'Complete') status.completionTime = timestamp(now);
      for (const pod of active) this.deletePod(pod);
    };

    if (!finished && !job.metadata.deletionTimestamp) {
      const deadlineS = job.spec.activeDeadlineSeconds as number | undefined;
      const deadlineAt = deadlineS ? Date.parse(status.startTime) + deadlineS * 1000 : Infinity;
      if (now >= deadlineAt) finish('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      else if (status.failed > job.spec.backoffLimit) finish('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      else if (status.succeeded >= job.spec.completions) finish('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
      else {
        if (Number.isFinite(deadlineAt)) this.schedule(namespace, name, deadlineAt - now + 5);
        // TerminatingOrFailed: a replacement waits until the failed pod has fully stopped.
        if (active.length === 0 && terminating.length === 0 && !job.spec.suspend) {
          const delay = status.failed > 0 ? (this.options.retryDelayMs ?? 0) : 0;
          const lastFailureAt = this.lastFailureAt.get(uid) ?? 0;
          if (now - lastFailureAt >= delay) this.createPod(job);
          else this.schedule(namespace, name, delay - (now - lastFailureAt));
        }
      }
    } else if (finished) {
      for (const pod of active) this.deletePod(pod);
      const ttl = job.spec.ttlSecondsAfterFinished as number | undefined;
      if (ttl !== undefined) {
        const finishedAt = Date.parse((conditions.find((c) => c.type === 'Complete' || c.type === 'Failed')?.lastTransitionTime as string) ?? timestamp(now));
        const expiresAt = finishedAt + ttl * 1000;
        if (now >= expiresAt) {
          this.registry.delete(this.jobs, namespace, name, { propagationPolicy: 'Background' });
          return;
        }
        this.schedule(namespace, name, expiresAt - now + 5);
      }
    }

    const latestPods = this.store
      .list(this.pods, namespace)
      .filter((pod) => (pod.metadata.ownerReferences ?? []).some((ref: { uid: string }) => ref.uid === uid));
    status.active = latestPods.filter((pod) => !terminal(pod) && !pod.metadata.deletionTimestamp).length;
    status.terminating = latestPods.filter((pod) => !terminal(pod) && pod.metadata.deletionTimestamp).length;
    status.ready = latestPods.filter((pod) =>
      pod.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    status.uncountedTerminatedPods = {};
    this.registry.update(this.jobs, namespace, name, { ...job, status }, { subresource: 'status' });
  }

  private readonly lastFailureAt = new Map<string, number>();

  /** A pod whose Job is gone is not counted by anyone: its tracking finalizer goes once it stops. */
  private releaseOrphan(namespace: string, name: string): void {
    if (this.closed) return;
    const pod = this.store.get(this.pods, namespace, name);
    if (!pod || !(pod.metadata.finalizers ?? []).includes(TRACKING_FINALIZER)) return;
    const owner = (pod.metadata.ownerReferences ?? []).find((ref: { kind: string; controller?: boolean }) => ref.kind === 'Job' && ref.controller);
    const job = owner && this.store.get(this.jobs, namespace, owner.name);
    if (job && job.metadata.uid === owner.uid) return;
    if (!terminal(pod) && !(pod.metadata.deletionTimestamp && !pod.spec.nodeName)) return;
    try {
      this.registry.update(this.pods, namespace, name, {
        ...pod,
        metadata: { ...pod.metadata, finalizers: pod.metadata.finalizers.filter((f: string) => f !== TRACKING_FINALIZER) },
      });
    } catch (error) {
      if ((error as { code?: number }).code === 409) setImmediate(() => this.releaseOrphan(namespace, name));
      else if ((error as { code?: number }).code !== 404) console.error('stand-in job controller failed', error);
    }
  }

  private createPod(job: KubeObject): void {
    const template = job.spec.template;
    this.registry.create(this.pods, job.metadata.namespace, {
      metadata: {
        generateName: `${job.metadata.name}-`,
        labels: template.metadata?.labels,
        annotations: template.metadata?.annotations,
        finalizers: [TRACKING_FINALIZER],
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(template.spec),
    });
  }

  private deletePod(pod: KubeObject): void {
    try {
      this.registry.delete(this.pods, pod.metadata.namespace, pod.metadata.name!, {});
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
    }
  }
}
