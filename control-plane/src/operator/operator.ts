import type { Registry } from 'prom-client';
import type { KubernetesConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { KubeClients } from '../kubernetes/kube-client.js';
import { LeaderElector } from './leader-election.js';
import { OperatorMetrics } from './operator-metrics.js';
import { TaskController } from './task-controller.js';

/**
 * The Cutroom operator: campaigns for the Lease and, while it leads, runs the task controller
 * (task resources → render-node Jobs, Job state → resource status). Any number of replicas can
 * run; one acts. Runs as its own process (`cutroom operator`) or inside the control plane
 * (OPERATOR=embedded).
 */
export class Operator {
  private readonly elector: LeaderElector;
  private controller: TaskController | undefined;
  /** Start and stop of the controller, one after the other. */
  private transitions: Promise<void> = Promise.resolve();
  readonly metrics: OperatorMetrics;

  constructor(
    private readonly clients: KubeClients,
    private readonly config: KubernetesConfig,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.metrics = new OperatorMetrics(registry);
    this.elector = new LeaderElector(
      clients.coordination,
      { namespace: config.namespace, name: config.leaseName, identity: config.operatorIdentity, leaseDurationMs: config.leaseDurationMs },
      { onStartedLeading: () => this.lead(), onStoppedLeading: () => this.follow() },
      logger,
    );
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  start(): void {
    this.logger.info({ namespace: this.config.namespace, identity: this.config.operatorIdentity }, 'operator started; campaigning for the lease');
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
    await this.follow();
  }

  private lead(): Promise<void> {
    this.metrics.isLeader.set(1);
    return (this.transitions = this.transitions.then(async () => {
      if (this.controller || !this.elector.isLeader) return;
      const controller = new TaskController({
        clients: this.clients,
        namespace: this.config.namespace,
        job: this.config.job,
        workers: this.config.operatorWorkers,
        resyncMs: this.config.operatorResyncMs,
        startTimeoutMs: this.config.startTimeoutMs,
        metrics: this.metrics,
        logger: this.logger,
      });
      this.controller = controller;
      // Not awaited: stepping down must be able to stop a controller still syncing.
      controller.start().catch((error: unknown) => this.logger.error({ err: error }, 'controller failed to start'));
    }));
  }

  private follow(): Promise<void> {
    this.metrics.isLeader.set(0);
    return (this.transitions = this.transitions.then(async () => {
      const controller = this.controller;
      this.controller = undefined;
      await controller?.stop();
    }));
  }
}
