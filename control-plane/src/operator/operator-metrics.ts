import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The operator's Prometheus metrics, registered on the registry it is given. */
export class OperatorMetrics {
  readonly reconcileDuration: Histogram<'kind' | 'result'>;
  readonly reconcileErrors: Counter<'kind'>;
  readonly queueDepth: Gauge;
  readonly isLeader: Gauge;
  readonly jobsCreated: Counter<'kind'>;

  constructor(registry: Registry) {
    this.reconcileDuration = new Histogram({
      name: 'cutroom_operator_reconcile_duration_seconds',
      help: 'Time to reconcile one task resource, by resource kind and result',
      labelNames: ['kind', 'result'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.reconcileErrors = new Counter({
      name: 'cutroom_operator_reconcile_errors_total',
      help: 'Reconciles that failed and were requeued with back-off',
      labelNames: ['kind'] as const,
      registers: [registry],
    });
    this.queueDepth = new Gauge({
      name: 'cutroom_operator_queue_depth',
      help: 'Task resource keys waiting to be reconciled',
      registers: [registry],
    });
    this.isLeader = new Gauge({
      name: 'cutroom_operator_leader',
      help: '1 while this operator holds the leader Lease',
      registers: [registry],
    });
    this.jobsCreated = new Counter({
      name: 'cutroom_operator_jobs_created_total',
      help: 'Render-node Jobs created, by resource kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    });
  }
}
