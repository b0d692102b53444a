import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from '../logger.js';
import { describeApiError, isAlreadyExists, isNotFound, MERGE_PATCH, type KubeClients } from '../kubernetes/kube-client.js';
import {
  ANNOTATIONS,
  API_VERSION,
  GROUP,
  isFinished,
  LABELS,
  MANAGED_BY,
  ownerReferenceTo,
  resourceNameForTask,
  resourceTypeForTask,
  TASK_RESOURCE_TYPES,
  TOKEN_SECRET_KEY,
  tokenSecretNameFor,
  VERSION,
  type TaskResource,
  type TaskResourceSpec,
} from '../kubernetes/task-resource.js';
import { ResourceInformer } from '../operator/informer.js';
import type { Dispatcher, DispatcherEvents, DispatcherView, WorkerLaunch } from './dispatcher.js';
import type { JobSpec } from '../scheduling/scheduler.js';

/**
 * DISPATCHER=kubernetes: a claimed task becomes a task custom resource named after it, with
 * its token in a Secret the resource owns; the operator turns the resource into a Job. The
 * dispatcher watches the resources: an attempt whose Job failed (OOM kill, eviction, deadline,
 * a pod that cannot start) is reported as a lost worker, and finished resources are deleted
 * after KUBERNETES_TASK_TTL_SECONDS. Every control-plane replica runs one; they may report the
 * same loss, which the control plane ignores for attempts already over.
 */

export interface KubernetesDispatcherOptions {
  clients: KubeClients;
  namespace: string;
  /** Finished resources are deleted this long after their completion. */
  taskTtlMs: number;
  maxActiveTasks: number;
  logger: Logger;
  gcIntervalMs?: number;
  /** How long a launch waits for a resource of the same name that is being deleted. */
  replaceTimeoutMs?: number;
}

const RESOURCE_LABELS = { [LABELS.managedBy]: MANAGED_BY, [LABELS.component]: 'task' };
const PROGRESS_INTERVAL_MS = 2000;

export class KubernetesDispatcher implements Dispatcher {
  readonly name = 'kubernetes' as const;
  private readonly informers = new Map<string, ResourceInformer<TaskResource & KubernetesObject>>();
  /** `uid/attempt` of failures already reported. */
  private readonly reported = new Set<string>();
  /** Tasks this dispatcher stopped: their resources' deletion is no loss. */
  private readonly stopping = new Set<string>();
  /** Launched, not yet seen in the cache: they count against capacity already. */
  private readonly launching = new Set<string>();
  private readonly progressSent = new Map<string, { percent: number; atMs: number }>();
  private closed = false;
  /** Until the caches hold the cluster's resources, capacity is unknown: nothing is launched. */
  private synced = false;

  constructor(
    private readonly options: KubernetesDispatcherOptions,
    private readonly events: DispatcherEvents,
  ) {
    const { clients, namespace, logger } = options;
    const labelSelector = `${LABELS.managedBy}=${MANAGED_BY}`;
    for (const type of TASK_RESOURCE_TYPES) {
      this.informers.set(
        type.kind,
        new ResourceInformer<TaskResource & KubernetesObject>(clients.kubeConfig, {
          name: `dispatcher-${type.plural}`,
          path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${type.plural}`,
          labelSelector,
          list: () => clients.customObjects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: type.plural, labelSelector }),
          onEvent: (verb, resource) => this.observe(verb, resource),
          logger,
        }),
      );
    }
  }

  /** Starts watching; resolves once the current resources are known (capacity counts them). */
  async start(): Promise<void> {
    const informers = [...this.informers.values()];
    await Promise.all(informers.map((i) => i.start()));
    await Promise.all(informers.map((i) => i.synced));
    this.synced = true;
  }

  capacity(): number {
    if (!this.synced || this.closed) return 0;
    let active = 0;
    for (const informer of this.informers.values()) {
      for (const resource of informer.list()) {
        this.launching.delete(resource.spec.taskId);
        if (!isFinished(resource.status?.phase) && !resource.metadata.deletionTimestamp) active++;
      }
    }
    return Math.max(0, this.options.maxActiveTasks - active - this.launching.size);
  }

  /** The task resources in the cluster as the watch caches hold them, unfinished first. */
  describe(): DispatcherView {
    const workers: Array<DispatcherView['workers'][number] & { finished: boolean }> = [];
    for (const informer of this.informers.values()) {
      for (const resource of informer.list()) {
        const status = resource.status ?? {};
        const where = [status.node ? `node ${status.node}` : undefined, status.job ? `Job ${status.job}` : undefined].filter(Boolean);
        const started = status.startTime ?? resource.metadata.creationTimestamp;
        workers.push({
          taskId: resource.spec.taskId,
          attempt: status.attempt ?? resource.spec.attempt,
          node: `${resource.kind}/${resource.metadata.name}${where.length > 0 ? ` (${where.join(', ')})` : ''}`,
          detail: [status.phase ?? 'Pending', status.reason, status.message].filter(Boolean).join(': ') || null,
          startedAtMs: started ? new Date(started).getTime() : null,
          finished: isFinished(status.phase),
        });
      }
    }
    workers.sort((a, b) => Number(a.finished) - Number(b.finished));
    return {
      name: this.name,
      limit: this.options.maxActiveTasks,
      capacity: this.capacity(),
      workers: workers.map(({ finished: _finished, ...worker }) => worker),
    };
  }

  async launch(launch: WorkerLaunch): Promise<void> {
    const type = resourceTypeForTask(launch.kind);
    const name = resourceNameForTask(launch.taskId);
    const spec: TaskResourceSpec = {
      taskId: launch.taskId,
      kind: launch.kind,
      attempt: launch.attempt,
      gpu: launch.gpu,
      internalUrl: launch.internalUrl,
      deadlineSeconds: Math.max(1, Math.ceil(launch.deadlineS)),
      tokenSecretRef: { name: tokenSecretNameFor(name, launch.attempt), key: TOKEN_SECRET_KEY },
    };
    this.launching.add(launch.taskId);
    try {
      await this.createOrAdvance(type.plural, type.kind, name, spec, launch);
    } catch (error) {
      // Not out: it must not hold a place of the capacity.
      this.launching.delete(launch.taskId);
      throw error;
    }
  }

  private async createOrAdvance(plural: string, kind: string, name: string, spec: TaskResourceSpec, launch: WorkerLaunch): Promise<void> {
    const { clients, namespace } = this.options;
    const deadlineMs = Date.now() + (this.options.replaceTimeoutMs ?? 60_000);
    for (;;) {
      try {
        const resource = (await clients.customObjects.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
          body: {
            apiVersion: API_VERSION,
            kind,
            metadata: { name, labels: RESOURCE_LABELS, annotations: { [ANNOTATIONS.taskId]: launch.taskId } },
            spec,
          },
        })) as TaskResource;
        await this.writeToken(resource, launch);
        this.options.logger.info({ taskId: launch.taskId, attempt: launch.attempt, resource: name }, 'task resource created');
        return;
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
      // The resource exists: the same launch again, a retry with a new attempt, or the last
      // incarnation still being deleted.
      const resource = await this.read(plural, name);
      if (resource === undefined) continue;
      if (resource.metadata.deletionTimestamp) {
        if (Date.now() > deadlineMs) throw new Error(`task resource ${name} is still being deleted`);
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      if (resource.spec.attempt > launch.attempt) return; // a later attempt is already out
      // The token first: the operator makes the new attempt's Job only once it sees the new spec.
      await this.writeToken(resource, launch);
      if (resource.spec.attempt < launch.attempt) {
        const { taskId: _id, kind: _kind, ...changes } = spec;
        await clients.customObjects.patchNamespacedCustomObject(
          { group: GROUP, version: VERSION, namespace, plural, name, body: { spec: changes } },
          MERGE_PATCH,
        );
        this.options.logger.info({ taskId: launch.taskId, attempt: launch.attempt, resource: name }, 'task resource moved to a new attempt');
      }
      return;
    }
  }

  async stop(taskId: string): Promise<void> {
    const name = resourceNameForTask(taskId);
    this.stopping.add(taskId);
    this.launching.delete(taskId);
    const cachedKind = [...this.informers.entries()].find(([, informer]) => informer.get(name, this.options.namespace))?.[0];
    const types = cachedKind ? TASK_RESOURCE_TYPES.filter((t) => t.kind === cachedKind) : TASK_RESOURCE_TYPES;
    let deleted = false;
    for (const type of types) {
      try {
        // The operator's finalizer removes the Job and its pods before the resource goes.
        await this.options.clients.customObjects.deleteNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: this.options.namespace,
          plural: type.plural,
          name,
          propagationPolicy: 'Background',
        });
        deleted = true;
        this.options.logger.info({ taskId, resource: name }, 'task resource deleted');
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    // Nothing to wait for: no deletion event will come to clear the mark.
    if (!deleted) this.stopping.delete(taskId);
  }

  /**
   * Mirrors a progress report into the resource's status (the Progress column of
   * `kubectl get rendertasks`), at most every 2 s per task.
   */
  async recordProgress(taskId: string, percent: number): Promise<void> {
    const name = resourceNameForTask(taskId);
    const rounded = Math.max(0, Math.min(100, Math.floor(percent)));
    const last = this.progressSent.get(taskId);
    if (last && (last.percent === rounded || Date.now() - last.atMs < PROGRESS_INTERVAL_MS)) return;
    const entry = [...this.informers.entries()].find(([, informer]) => informer.get(name, this.options.namespace));
    if (!entry) return;
    const type = TASK_RESOURCE_TYPES.find((t) => t.kind === entry[0])!;
    this.progressSent.set(taskId, { percent: rounded, atMs: Date.now() });
    try {
      await this.options.clients.customObjects.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace: this.options.namespace, plural: type.plural, name, body: { status: { progress: rounded } } },
        MERGE_PATCH,
      );
    } catch (error) {
      if (!isNotFound(error)) this.options.logger.warn({ taskId, err: describeApiError(error) }, 'could not record progress');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  /**
   * Creates the attempt's token Secret, owned by the resource. It is never updated: an existing
   * one belongs to this same launch (a repeat), and holds its token.
   */
  private async writeToken(resource: TaskResource, launch: WorkerLaunch): Promise<void> {
    const body: V1Secret = {
      metadata: {
        name: tokenSecretNameFor(resource.metadata.name, launch.attempt),
        namespace: this.options.namespace,
        labels: RESOURCE_LABELS,
        annotations: { [ANNOTATIONS.taskId]: launch.taskId, [LABELS.attempt]: String(launch.attempt) },
        // Owned by the resource: deleting the resource deletes the token.
        ownerReferences: [ownerReferenceTo(resource, { controller: true, blockOwnerDeletion: false })],
      },
      type: 'Opaque',
      stringData: { [TOKEN_SECRET_KEY]: launch.token },
    };
    try {
      await this.options.clients.core.createNamespacedSecret({ namespace: this.options.namespace, body });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }

  private async read(plural: string, name: string): Promise<TaskResource | undefined> {
    try {
      return (await this.options.clients.customObjects.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: this.options.namespace,
        plural,
        name,
      })) as TaskResource;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private observe(verb: 'add' | 'update' | 'delete', resource: TaskResource): void {
    const { taskId, attempt } = resource.spec;
    const status = resource.status ?? {};
    if (verb === 'delete') {
      this.progressSent.delete(taskId);
      if (this.stopping.delete(taskId)) return;
      if (!isFinished(status.phase)) this.lose(resource, attempt, 'the task resource was deleted before the attempt finished');
      return;
    }
    if (status.phase === 'Failed' && status.attempt === attempt && !resource.metadata.deletionTimestamp) {
      this.lose(resource, attempt, [status.reason, status.message].filter(Boolean).join(': ') || 'the Job failed');
    }
  }

  private lose(resource: TaskResource, attempt: number, reason: string): void {
    const key = `${resource.metadata.uid}/${attempt}`;
    if (this.reported.has(key) || this.closed) return;
    this.reported.add(key);
    this.options.logger.warn({ taskId: resource.spec.taskId, attempt, reason }, 'worker lost');
    this.events.workerLost(resource.spec.taskId, attempt, reason);
  }

  /** The periodic job that deletes resources finished longer than the TTL ago (once the caches are synced). */
  gcJob(): JobSpec {
    return {
      name: 'task-resource-gc',
      intervalMs: this.options.gcIntervalMs ?? Math.min(60_000, Math.max(1000, this.options.taskTtlMs / 4)),
      run: async () => {
        if (!this.synced || this.closed) return;
        try {
          await this.collectFinished();
        } catch (error) {
          this.options.logger.warn({ err: describeApiError(error) }, 'task resource clean-up failed');
        }
      },
    };
  }

  async collectFinished(nowMs = Date.now()): Promise<number> {
    let deleted = 0;
    for (const [kind, informer] of this.informers) {
      const type = TASK_RESOURCE_TYPES.find((t) => t.kind === kind)!;
      for (const resource of informer.list()) {
        const status = resource.status ?? {};
        if (!isFinished(status.phase) || resource.metadata.deletionTimestamp) continue;
        const finishedAtMs = Date.parse(status.completionTime ?? '');
        if (!Number.isFinite(finishedAtMs) || finishedAtMs + this.options.taskTtlMs > nowMs) continue;
        this.stopping.add(resource.spec.taskId);
        try {
          await this.options.clients.customObjects.deleteNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: this.options.namespace,
            plural: type.plural,
            name: resource.metadata.name,
            propagationPolicy: 'Background',
            body: { preconditions: { uid: resource.metadata.uid } },
          });
          deleted++;
        } catch (error) {
          this.stopping.delete(resource.spec.taskId);
          if (!isNotFound(error)) throw error;
        }
      }
    }
    return deleted;
  }
}
