import {
  ADD,
  DELETE,
  ERROR,
  makeInformer,
  UPDATE,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from '../logger.js';

/**
 * A cache of one resource type kept by list + watch (client-node's informer), which re-lists by
 * itself when a watch answers 410 Gone. This adds what a controller needs on top: a restart with
 * back-off after any other failure (client-node's informer stops there), and `synced`, which
 * resolves once the first list is in the cache, so nothing is decided on an empty cache.
 */
export interface ResourceInformerOptions<T extends KubernetesObject> {
  name: string;
  path: string;
  list: ListPromise<T>;
  labelSelector?: string;
  onEvent: (verb: 'add' | 'update' | 'delete', object: T) => void;
  logger: Logger;
}

export class ResourceInformer<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  readonly synced: Promise<void>;
  private markSynced!: () => void;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    kubeConfig: KubeConfig,
    private readonly options: ResourceInformerOptions<T>,
  ) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
    const list: ListPromise<T> = async () => {
      const result = await options.list();
      this.failures = 0;
      // The informer fills its cache right after this promise resolves.
      setImmediate(() => this.markSynced());
      return result;
    };
    this.informer = makeInformer(kubeConfig, options.path, list, options.labelSelector);
    this.informer.on(ADD, (object) => options.onEvent('add', object));
    this.informer.on(UPDATE, (object) => options.onEvent('update', object));
    this.informer.on(DELETE, (object) => options.onEvent('delete', object));
    this.informer.on(ERROR, (error) => this.restart(error));
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.informer.start();
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  private restart(error: unknown): void {
    if (this.stopped) return;
    const delayMs = Math.min(250 * 2 ** this.failures, 30_000);
    this.failures++;
    this.options.logger.warn({ informer: this.options.name, err: error, retryInMs: delayMs }, 'list/watch failed; restarting');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.stopped) this.informer.start().catch((e: unknown) => this.restart(e));
    }, delayMs);
  }
}
