import { performance } from 'node:perf_hooks';
import type { KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
import type { RenderJobConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { describeApiError, isConflict, type KubeClients } from '../kubernetes/kube-client.js';
import { GROUP, LABELS, MANAGED_BY, resourceTypeForKind, TASK_RESOURCE_TYPES, VERSION, type TaskResource } from '../kubernetes/task-resource.js';
import { ResourceInformer } from './informer.js';
import type { OperatorMetrics } from './operator-metrics.js';
import { keyString, parseKey, TaskReconciler } from './reconciler.js';
import { ReconcileQueue } from './reconcile-queue.js';

/**
 * The running controller of the leader: informers on the task resources and on the Jobs and
 * pods it made, a work queue of resource keys, and workers reconciling them. Every event and
 * every resync only enqueues a key; what to do is decided by reading the caches.
 */

export interface TaskControllerOptions {
  clients: KubeClients;
  namespace: string;
  job: RenderJobConfig;
  workers: number;
  resyncMs: number;
  startTimeoutMs: number;
  metrics: OperatorMetrics;
  logger: Logger;
}

export class TaskController {
  private readonly queue: ReconcileQueue;
  private readonly resources = new Map<string, ResourceInformer<TaskResource & KubernetesObject>>();
  private readonly jobs: ResourceInformer<V1Job>;
  private readonly pods: ResourceInformer<V1Pod>;
  private readonly reconciler: TaskReconciler;
  private workers: Array<Promise<void>> = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: TaskControllerOptions) {
    const { clients, namespace, logger, metrics } = options;
    this.queue = new ReconcileQueue({ onDepth: (depth) => metrics.queueDepth.set(depth) });
    const selector = `${LABELS.managedBy}=${MANAGED_BY}`;

    for (const type of TASK_RESOURCE_TYPES) {
      this.resources.set(
        type.kind,
        new ResourceInformer<TaskResource & KubernetesObject>(clients.kubeConfig, {
          name: type.plural,
          path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${type.plural}`,
          list: () => clients.customObjects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: type.plural }),
          onEvent: (_verb, resource) => this.enqueue(type.kind, resource.metadata.namespace ?? namespace, resource.metadata.name),
          logger,
        }),
      );
    }
    this.jobs = new ResourceInformer<V1Job>(clients.kubeConfig, {
      name: 'jobs',
      path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
      labelSelector: selector,
      list: () => clients.batch.listNamespacedJob({ namespace, labelSelector: selector }),
      onEvent: (_verb, job) => {
        const owner = job.metadata?.ownerReferences?.find((ref) => ref.controller && resourceTypeForKind(ref.kind));
        if (owner) this.enqueue(owner.kind, job.metadata!.namespace!, owner.name);
      },
      logger,
    });
    this.pods = new ResourceInformer<V1Pod>(clients.kubeConfig, {
      name: 'pods',
      path: `/api/v1/namespaces/${namespace}/pods`,
      labelSelector: selector,
      list: () => clients.core.listNamespacedPod({ namespace, labelSelector: selector }),
      onEvent: (_verb, pod) => {
        const labels = pod.metadata?.labels ?? {};
        const kind = labels[LABELS.resourceKind];
        const name = labels[LABELS.taskResource];
        if (kind && name) this.enqueue(kind, pod.metadata!.namespace!, name);
      },
      logger,
    });
    this.reconciler = new TaskReconciler({
      clients,
      job: options.job,
      startTimeoutMs: options.startTimeoutMs,
      metrics,
      logger,
      caches: {
        resource: (kind, ns, name) => this.resources.get(kind)?.get(name, ns),
        jobs: (ns) => this.jobs.list(ns),
        pods: (ns) => this.pods.list(ns),
      },
    });
  }

  /** Starts the caches, waits until each has listed once, then starts the workers. */
  async start(): Promise<void> {
    const informers = [...this.resources.values(), this.jobs, this.pods];
    await Promise.all(informers.map((i) => i.start()));
    await Promise.all(informers.map((i) => i.synced));
    if (this.stopped) return;
    this.options.logger.info({ namespace: this.options.namespace }, 'caches synced; reconciling');
    this.resyncAll();
    this.workers = Array.from({ length: this.options.workers }, () => this.work());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all([...this.resources.values(), this.jobs, this.pods].map((i) => i.stop()));
    await Promise.all(this.workers);
  }

  private enqueue(kind: string, namespace: string, name: string): void {
    this.queue.add(keyString({ kind, namespace, name }));
  }

  /** Periodic resync: every resource is looked at again even when no event came. */
  private resyncAll(): void {
    for (const [kind, informer] of this.resources) {
      for (const resource of informer.list()) this.enqueue(kind, resource.metadata.namespace ?? this.options.namespace, resource.metadata.name);
    }
    this.resyncTimer = setTimeout(() => this.resyncAll(), this.options.resyncMs);
    this.resyncTimer.unref();
  }

  private async work(): Promise<void> {
    const { metrics, logger } = this.options;
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      const { kind } = parseKey(key);
      const started = performance.now();
      let result = 'success';
      try {
        const { requeueAfterMs } = await this.reconciler.reconcile(parseKey(key));
        this.queue.forget(key);
        if (requeueAfterMs !== undefined) this.queue.addAfter(key, requeueAfterMs);
      } catch (error) {
        // A conflict only means the cache was behind: look again shortly, without alarm.
        result = isConflict(error) ? 'conflict' : 'error';
        if (result === 'error') {
          metrics.reconcileErrors.inc({ kind });
          logger.warn({ resource: key, err: describeApiError(error) }, 'reconcile failed; will retry');
        }
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
        metrics.reconcileDuration.observe({ kind, result }, (performance.now() - started) / 1000);
      }
    }
  }
}
