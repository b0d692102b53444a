import type { Migration } from 'kysely';
import * as m0001 from './0001_identity.js';
import * as m0003 from './0003_media.js';

/** Every migration, in order. Names sort in the order they apply; never rename or edit a shipped one. */
export const migrations: Record<string, Migration> = {
  '0001_identity': m0001,
  '0003_media': m0003,
};
