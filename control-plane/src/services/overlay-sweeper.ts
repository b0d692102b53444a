import type { Logger } from '../logger.js';

/**
 * Runs the overlay clean-up every interval while the control plane runs. Runs never overlap;
 * `stop` waits for the one in flight. Every replica runs one: deleting is idempotent.
 */
export class OverlaySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly sweep: () => Promise<number>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (deleted > 0) this.logger.info({ deleted }, 'deleted overlay images of users who left');
    } catch (error) {
      this.logger.warn({ err: error }, 'overlay clean-up failed; retrying at the next interval');
    }
  }
}
