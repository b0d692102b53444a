import type { MediaUsage } from './media-usage.js';

/**
 * A MediaUsage that knows of no project: every media file counts as unused. Stands in until
 * the projects service, which indexes the media ids each saved project mentions, answers instead.
 */
export const noMediaUsage: MediaUsage = {
  async projectsUsing() {
    return new Map();
  },
};
