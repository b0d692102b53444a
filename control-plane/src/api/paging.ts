import { z } from 'zod';

/**
 * The paging parameters every list shares (`start_number`, `count`), so that all lists page
 * the same way: `count` defaults to 20 and a larger one than LIST_MAX is capped, never refused.
 */

export const LIST_MAX = 1000;

export const startNumberParam = z.coerce
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .default(0)
  .describe('0-based offset of the first entry (default 0); past the end: an empty page');

/** How many entries at most: default `fallback`, capped at LIST_MAX. */
export const countParam = (fallback = 20, min = 0) =>
  z.coerce
    .number()
    .int()
    .min(min)
    .default(fallback)
    .transform((n) => Math.min(n, LIST_MAX))
    .describe(`How many entries at most (default ${fallback}); more than ${LIST_MAX} is taken as ${LIST_MAX}`);
