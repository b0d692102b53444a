import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { RenderJobConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { isAlreadyExists, isNotFound, MERGE_PATCH, type KubeClients } from '../kubernetes/kube-client.js';
import {
  GROUP,
  isFinished,
  JOB_CLEANUP_FINALIZER,
  LABELS,
  resourceTypeForKind,
  VERSION,
  type TaskResource,
  type TaskResourceStatus,
} from '../kubernetes/task-resource.js';
import { desiredJob } from './job-template.js';
import { desiredStatus, sameStatus } from './task-status.js';
import type { OperatorMetrics } from './operator-metrics.js';

/**
 * One reconcile of one task resource, level-based: read the resource, its Jobs and pods from
 * the caches, work out what should exist, make the smallest change, say when to look again.
 * Running it twice, or after a crash halfway, converges to the same state.
 */

export interface ResourceKey {
  kind: string;
  namespace: string;
  name: string;
}

export const keyString = (key: ResourceKey) => `${key.kind}/${key.namespace}/${key.name}`;
export function parseKey(text: string): ResourceKey {
  const [kind, namespace, name] = text.split('/');
  return { kind: kind!, namespace: namespace!, name: name! };
}

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface Caches {
  resource(kind: string, namespace: string, name: string): TaskResource | undefined;
  jobs(namespace: string): readonly V1Job[];
  pods(namespace: string): readonly V1Pod[];
}

export interface ReconcilerDeps {
  clients: KubeClients;
  caches: Caches;
  job: RenderJobConfig;
  startTimeoutMs: number;
  metrics: OperatorMetrics;
  logger: Logger;
  now?: () => number;
}

/** How often to look at a resource that waits on something no event will announce. */
const WAIT_MS = 1000;

const ownedBy = (object: { metadata?: { ownerReferences?: Array<{ uid: string }> } }, uid: string | undefined) =>
  (object.metadata?.ownerReferences ?? []).some((ref) => ref.uid === uid);

export class TaskReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: ResourceKey): Promise<ReconcileResult> {
    const cached = this.deps.caches.resource(key.kind, key.namespace, key.name);
    // Gone: its Job went with it through the owner reference (and the finalizer before that).
    if (!cached) return {};
    let resource = cached;
    if (resource.metadata.deletionTimestamp) return this.finalize(resource);
    if (!(resource.metadata.finalizers ?? []).includes(JOB_CLEANUP_FINALIZER)) {
      resource = await this.patchResource(resource, {
        metadata: { resourceVersion: resource.metadata.resourceVersion, finalizers: [...(resource.metadata.finalizers ?? []), JOB_CLEANUP_FINALIZER] },
      });
    }

    const { spec, metadata } = resource;
    const owned = this.deps.caches.jobs(metadata.namespace!).filter((job) => ownedBy(job, metadata.uid));
    let job = owned.find((j) => j.metadata?.labels?.[LABELS.attempt] === String(spec.attempt));
    const older = owned.filter((j) => j !== job);

    // A new attempt replaces the Job of the last one; its pods stop before the new Job starts.
    for (const stale of older) if (!stale.metadata?.deletionTimestamp) await this.deleteJob(stale, 'Foreground');

    const record = resource.status?.attempts?.find((r) => r.attempt === spec.attempt);
    if (!job && record && !isFinished(record.phase)) {
      // The cache may not have seen a Job this operator created moments ago: ask the server.
      job = await this.readJob(metadata.namespace!, record.job);
    }
    if (!job && !record) {
      if (older.length > 0) return { requeueAfterMs: WAIT_MS };
      job = await this.createJob(resource);
    }

    const pods = job ? this.deps.caches.pods(metadata.namespace!).filter((pod) => ownedBy(pod, job!.metadata?.uid)) : [];
    const decision = desiredStatus(resource, job, pods, this.now(), this.deps.startTimeoutMs);
    // The status first: were the Job deleted first and the status write then refused (a stale
    // version), the next pass would find no Job and record the attempt as JobDeleted.
    if (!sameStatus(resource.status, decision.status)) await this.writeStatus(resource, decision.status);
    if (decision.abandonJob && job && !job.metadata?.deletionTimestamp) {
      this.deps.logger.warn(
        { resource: keyString(key), job: job.metadata?.name, reason: decision.status.reason },
        'render node cannot start; failing the attempt',
      );
      await this.deleteJob(job, 'Background');
    }
    return { requeueAfterMs: decision.recheckAfterMs };
  }

  /** The resource is being deleted: its Jobs (and their pods) go first, then the finalizer. */
  private async finalize(resource: TaskResource): Promise<ReconcileResult> {
    if (!(resource.metadata.finalizers ?? []).includes(JOB_CLEANUP_FINALIZER)) return {};
    const namespace = resource.metadata.namespace!;
    // Read live, not from the cache: the finalizer must not go while a Job still exists.
    const jobs = (
      await this.deps.clients.batch.listNamespacedJob({ namespace, labelSelector: `${LABELS.taskResource}=${resource.metadata.name}` })
    ).items.filter((job) => ownedBy(job, resource.metadata.uid));
    for (const job of jobs) if (!job.metadata?.deletionTimestamp) await this.deleteJob(job, 'Foreground');
    if (jobs.length > 0) return { requeueAfterMs: WAIT_MS };
    try {
      await this.patchResource(resource, {
        metadata: {
          resourceVersion: resource.metadata.resourceVersion,
          finalizers: resource.metadata.finalizers!.filter((f) => f !== JOB_CLEANUP_FINALIZER),
        },
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    this.deps.logger.info({ resource: resource.metadata.name }, 'task resource released');
    return {};
  }

  private async createJob(resource: TaskResource): Promise<V1Job> {
    const body = desiredJob(resource, this.deps.job);
    try {
      const created = await this.deps.clients.batch.createNamespacedJob({ namespace: resource.metadata.namespace!, body });
      this.deps.metrics.jobsCreated.inc({ kind: resource.kind });
      this.deps.logger.info({ resource: resource.metadata.name, job: created.metadata?.name, taskId: resource.spec.taskId }, 'job created');
      return created;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const existing = await this.readJob(resource.metadata.namespace!, body.metadata!.name!);
      if (!existing || !ownedBy(existing, resource.metadata.uid)) {
        // A Job of an earlier resource with the same name is still going away.
        throw new Error(`job ${body.metadata!.name} exists but belongs to another resource`, { cause: error });
      }
      return existing;
    }
  }

  private async readJob(namespace: string, name: string): Promise<V1Job | undefined> {
    try {
      return await this.deps.clients.batch.readNamespacedJob({ namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async deleteJob(job: V1Job, propagationPolicy: 'Foreground' | 'Background'): Promise<void> {
    try {
      await this.deps.clients.batch.deleteNamespacedJob({
        namespace: job.metadata!.namespace!,
        name: job.metadata!.name!,
        propagationPolicy,
        body: { preconditions: { uid: job.metadata!.uid } },
      });
      this.deps.logger.info({ job: job.metadata?.name, propagationPolicy }, 'job deleted');
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private async patchResource(resource: TaskResource, patch: Record<string, unknown>): Promise<TaskResource> {
    const type = resourceTypeForKind(resource.kind)!;
    return (await this.deps.clients.customObjects.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: resource.metadata.namespace!, plural: type.plural, name: resource.metadata.name, body: patch },
      MERGE_PATCH,
    )) as TaskResource;
  }

  /** Status goes through the status subresource only, conditional on the version it was computed from. */
  private async writeStatus(resource: TaskResource, status: TaskResourceStatus): Promise<void> {
    const type = resourceTypeForKind(resource.kind)!;
    const body: Record<string, unknown> = { ...status };
    // A merge patch keeps what it does not mention: clear fields the new status drops.
    for (const field of Object.keys(resource.status ?? {})) if (!(field in body)) body[field] = null;
    await this.deps.clients.customObjects.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: resource.metadata.namespace!,
        plural: type.plural,
        name: resource.metadata.name,
        body: { metadata: { resourceVersion: resource.metadata.resourceVersion }, status: body },
      },
      MERGE_PATCH,
    );
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
