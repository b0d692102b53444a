import type { TaskHandlers } from '../task-handler.js';
import { probe } from './probe.js';
import { ingest } from './ingest.js';
import { mediainfo } from './mediainfo.js';
import { render } from './render.js';
import { projectImport } from './project-import.js';

/** One handler per task kind. */
export const handlers: TaskHandlers = {
  probe,
  ingest,
  import_url: ingest,
  mediainfo,
  render,
  project_import: projectImport,
};
