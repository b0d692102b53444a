import type { Logger } from '../../logger.js';
import type { JobSpec } from '../../scheduling/scheduler.js';

/**
 * The overlay clean-up, run every interval while the control plane runs. Every replica runs
 * one: deleting is idempotent.
 */
export function overlaySweepJob(sweep: () => Promise<number>, intervalMs: number, logger: Logger): JobSpec {
  return {
    name: 'overlay-sweep',
    intervalMs,
    run: async () => {
      const deleted = await sweep();
      if (deleted > 0) logger.info({ deleted }, 'deleted overlay images of users who left');
    },
    failureMessage: 'overlay clean-up failed; retrying at the next interval',
    logger,
  };
}
