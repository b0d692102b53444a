import type { Logger } from '../logger.js';
import type { JobSpec } from '../scheduling/scheduler.js';
import type { FsObjectStore } from './fs-object-store.js';

/** Staging entries untouched this long belong to a writer that died (a crash, a killed render node). */
export const STAGING_MAX_AGE_MS = 24 * 3600_000;
const SWEEP_INTERVAL_MS = 3600_000;

/**
 * The clean-up of the `fs` store's staging directory (`FsObjectStore.sweepStaging`): once at
 * start, where a crash left most behind, then every hour.
 */
export function stagingSweepJob(store: FsObjectStore, logger: Logger): JobSpec {
  return {
    name: 'staging-sweep',
    intervalMs: SWEEP_INTERVAL_MS,
    runAtStart: true,
    run: async () => {
      const removed = await store.sweepStaging(STAGING_MAX_AGE_MS);
      if (removed > 0) logger.info({ removed }, 'removed staging files and render work directories left by writers that died');
    },
    failureMessage: 'staging clean-up failed; retrying at the next interval',
    logger,
  };
}
