import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_identity.js';
import * as m0002 from './0002_tasks.js';
import * as m0003 from './0003_media.js';
import * as m0004 from './0004_projects.js';
import * as m0005 from './0005_callbacks.js';
import * as m0006 from './0006_uploads.js';
import * as m0007 from './0007_project_data_chunks.js';
import * as m0008 from './0008_audio_library.js';
import * as m0009 from './0009_project_imports.js';
import * as m0010 from './0010_voiceovers.js';
import * as m0012 from './0012_instance_secrets.js';
import * as m0013 from './0013_task_parents.js';
import * as m0014 from './0014_project_list_indexes.js';
import * as m0015 from './0015_media_list_versions.js';
import * as m0016 from './0016_media_probes.js';

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
  '0010_voiceovers': m0010,
  '0012_instance_secrets': m0012,
  '0013_task_parents': m0013,
  '0014_project_list_indexes': m0014,
  '0015_media_list_versions': m0015,
  '0016_media_probes': m0016,
};

/**
 * The last migration of the previous release. Every migration after it must only expand the
 * schema (add tables, nullable or defaulted columns, indexes): the previous release's pods still
 * serve while it runs and until the rollout ends. Dropping or narrowing what it reads waits for
 * a later release (test/db/upgrade-under-traffic.test.ts checks). Move it forward at each release.
 */
export const PREVIOUS_RELEASE_LAST_MIGRATION = '0007_project_data_chunks';
