import type { Migration } from 'kysely';
import * as m0001 from './0001_identity.js';
import * as m0002 from './0002_tasks.js';
import * as m0003 from './0003_media.js';
import * as m0004 from './0004_projects.js';
import * as m0005 from './0005_callbacks.js';
import * as m0006 from './0006_uploads.js';
import * as m0007 from './0007_project_data_chunks.js';
import * as m0008 from './0008_audio_library.js';
import * as m0009 from './0009_project_imports.js';

/** Every migration, in order. Names sort in the order they apply; never rename or edit a shipped one. */
export const migrations: Record<string, Migration> = {
  '0001_identity': m0001,
  '0002_tasks': m0002,
  '0003_media': m0003,
  '0004_projects': m0004,
  '0005_callbacks': m0005,
  '0006_uploads': m0006,
  '0007_project_data_chunks': m0007,
  '0008_audio_library': m0008,
  '0009_project_imports': m0009,
};
