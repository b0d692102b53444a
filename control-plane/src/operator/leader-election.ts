import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../logger.js';
import { describeApiError, isAlreadyExists, isConflict, isNotFound } from '../kubernetes/kube-client.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the leader renews
 * the Lease every retry period; a candidate takes it over only after it has seen the same
 * record, unrenewed, for a whole lease duration (measured on its own clock, so clock skew
 * between machines does not matter); every write is conditional on the resourceVersion read,
 * so two candidates cannot both win. A leader that cannot renew within the renew deadline
 * (shorter than the lease) stops acting before anyone else may start.
 */

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** Default: two thirds of the lease. */
  renewDeadlineMs?: number;
  /** Default: a seventh of the lease (2 s of client-go's 15 s). */
  retryPeriodMs?: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private observed: { resourceVersion: string; holder: string; atMs: number; leaseDurationMs: number } | undefined;
  private lastRenewMs = 0;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private cycle: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: CoordinationV1Api,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: LeaderCallbacks,
    private readonly logger: Logger,
  ) {
    this.renewDeadlineMs = options.renewDeadlineMs ?? Math.floor((options.leaseDurationMs * 2) / 3);
    this.retryPeriodMs = options.retryPeriodMs ?? Math.max(50, Math.floor(options.leaseDurationMs / 7));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops campaigning; a leader hands the Lease back so a successor need not wait it out. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.cycle;
    if (this.leading) {
      await this.release();
      await this.stepDown('stopping');
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.cycle = this.tick().finally(() => this.schedule(this.retryPeriodMs));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew();
    } catch (error) {
      this.logger.warn({ err: describeApiError(error), lease: this.options.name }, 'lease update failed');
    }
    if (this.stopped) return;
    const now = Date.now();
    if (acquired) {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        this.logger.info({ identity: this.options.identity, lease: this.options.name }, 'became leader');
        // Not awaited: starting the controller must not hold up the next renewal.
        Promise.resolve(this.callbacks.onStartedLeading()).catch((error: unknown) => this.logger.error({ err: error }, 'starting as leader failed'));
      }
    } else if (this.leading && this.observed && this.observed.holder !== this.options.identity) {
      await this.stepDown(`the lease is held by ${this.observed.holder}`);
    } else if (this.leading && now - this.lastRenewMs >= this.renewDeadlineMs) {
      await this.stepDown('could not renew the lease within the renew deadline');
    }
  }

  private async stepDown(why: string): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    this.logger.warn({ identity: this.options.identity, lease: this.options.name, why }, 'stopped leading');
    await this.callbacks.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const nowMs = Date.now();
    const leaseDurationSeconds = Math.max(1, Math.round(this.options.leaseDurationMs / 1000));
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: new V1MicroTime(nowMs),
              renewTime: new V1MicroTime(nowMs),
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (createError) {
        if (isAlreadyExists(createError)) return false;
        throw createError;
      }
    }

    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const resourceVersion = lease.metadata?.resourceVersion ?? '';
    if (!this.observed || this.observed.resourceVersion !== resourceVersion) {
      this.observed = { resourceVersion, holder, atMs: nowMs, leaseDurationMs: (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 };
    }
    const heldByOther = holder !== '' && holder !== identity;
    if (heldByOther && this.observed.atMs + this.observed.leaseDurationMs > nowMs) return false;

    const renewing = holder === identity;
    const updated: V1Lease = {
      ...lease,
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: renewing && spec.acquireTime ? spec.acquireTime : new V1MicroTime(nowMs),
        renewTime: new V1MicroTime(nowMs),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
      },
    };
    try {
      const written = await this.api.replaceNamespacedLease({ namespace, name, body: updated });
      this.observed = { resourceVersion: written.metadata?.resourceVersion ?? '', holder: identity, atMs: nowMs, leaseDurationMs: leaseDurationSeconds * 1000 };
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Clears the holder so the next candidate takes over at once. */
  private async release(): Promise<void> {
    const { namespace, name, identity } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ namespace, name });
      if (lease.spec?.holderIdentity !== identity) return;
      await this.api.replaceNamespacedLease({
        namespace,
        name,
        body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: new V1MicroTime(Date.now()) } },
      });
    } catch (error) {
      this.logger.warn({ err: describeApiError(error) }, 'could not release the lease');
    }
  }
}
