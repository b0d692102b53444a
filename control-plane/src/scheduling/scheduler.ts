import type { Logger } from '../logger.js';
import { systemClock, type Clock } from './clock.js';

/** A periodic job as its owner describes it; the scheduler runs it. */
export interface JobSpec {
  /** Unique within a scheduler: names the job in logs (`job`) and for `runNow`. */
  name: string;
  /** From the end of one run to the start of the next: runs of one job never overlap. */
  intervalMs: number;
  run: () => Promise<unknown>;
  /** Runs once as soon as the job starts, rather than one interval later. */
  runAtStart?: boolean;
  /** Logged when a run fails (default 'scheduled job failed'), at `failureLevel` (default warn). */
  failureMessage?: string;
  failureLevel?: 'warn' | 'error';
  /** Where failures are logged (the owner's, with its fields); default the scheduler's. */
  logger?: Logger;
}

/**
 * The process's periodic jobs, on one clock. A job is added stopped; its owner starts and stops
 * it with the component it belongs to (a `ScheduledJob` is a lifecycle component). Tests run a
 * job on demand with `runNow`, or move a `ManualClock`, instead of waiting for its interval.
 */
export class Scheduler {
  private readonly jobs = new Map<string, ScheduledJob>();

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  add(spec: JobSpec): ScheduledJob {
    if (this.jobs.has(spec.name)) throw new Error(`a job named ${spec.name} is already scheduled`);
    const job = new ScheduledJob(spec, this.clock, (spec.logger ?? this.logger).child({ job: spec.name }));
    this.jobs.set(spec.name, job);
    return job;
  }

  job(name: string): ScheduledJob {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`no job named ${name} is scheduled (there are: ${this.names.join(', ')})`);
    return job;
  }

  get names(): string[] {
    return [...this.jobs.keys()];
  }

  /** Runs a job now, after its run in progress if there is one; resolves once that run has ended. */
  runNow(name: string): Promise<void> {
    return this.job(name).runNow();
  }

  /** Stops every job, waiting for the runs in progress. */
  async stop(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => job.stop()));
  }
}

/**
 * One periodic job. The next run is timed from the end of the last one, whatever started it, so
 * runs never overlap; asking for a run while one is in progress gets one more run after it (one,
 * however many ask meanwhile), which sees whatever they asked about. A failed run is logged and
 * the job goes on at the next interval.
 */
export class ScheduledJob {
  private state: 'new' | 'started' | 'stopped' = 'new';
  private timer: unknown;
  private running: Promise<void> | undefined;
  private rerun: Promise<void> | undefined;

  constructor(
    private readonly spec: JobSpec,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get intervalMs(): number {
    return this.spec.intervalMs;
  }

  /** True while a run is in progress. */
  get isRunning(): boolean {
    return this.running !== undefined;
  }

  start(): void {
    if (this.state === 'started') return;
    this.state = 'started';
    if (this.spec.runAtStart) void this.runNow();
    else if (!this.running) this.arm();
  }

  /** No more runs; resolves once the run in progress, if any, has ended. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    this.disarm();
    await this.settled();
  }

  /** Resolves once no run is in progress or asked for (a test's wait after moving its clock). */
  async settled(): Promise<void> {
    while (this.running || this.rerun) {
      await this.running;
      await this.rerun;
    }
  }

  /**
   * Runs the job now (also before `start`, not after `stop`), or right after the run in
   * progress; resolves once that run has ended. Never rejects: failures are logged.
   */
  runNow(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve();
    if (!this.running) return this.execute();
    this.rerun ??= this.running.then(() => {
      this.rerun = undefined;
      if (this.state === 'stopped') return undefined;
      return this.running ?? this.execute();
    });
    return this.rerun;
  }

  /** `runNow` for callers that do not wait (a change that the job should see soon). */
  trigger(): void {
    void this.runNow();
  }

  private execute(): Promise<void> {
    this.disarm();
    // The run begins on the next microtask, once `running` is set: a run that asks for
    // another (synchronously) gets a rerun, never a second run beside itself.
    const running = Promise.resolve()
      .then(() => this.spec.run())
      .then(
        () => undefined,
        (error: unknown) => this.logger[this.spec.failureLevel ?? 'warn']({ err: error }, this.spec.failureMessage ?? 'scheduled job failed'),
      )
      .finally(() => {
        this.running = undefined;
        if (this.state === 'started' && !this.rerun) this.arm();
      });
    this.running = running;
    return running;
  }

  private arm(): void {
    this.disarm();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.runNow();
    }, this.spec.intervalMs);
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
