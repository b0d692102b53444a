import type { Migration } from 'kysely';
import * as m0001 from './0001_identity.js';
import * as m0002 from './0002_tasks.js';

/** Every migration, in order. Names sort in the order they apply; never rename or edit a shipped one. */
export const migrations: Record<string, Migration> = {
  '0001_identity': m0001,
  '0002_tasks': m0002,
};
