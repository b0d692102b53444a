import type { TaskContext } from '../task-handler.js';
import { ingest as runIngest } from '../../ingest/ingest.js';
import type { IngestSpec } from '../../ingest/ingest-spec.js';

/** `ingest` (uploads, stored files) and `import_url` (outside URLs): the same pipeline. */
export const ingest = (context: TaskContext<IngestSpec>) => runIngest(context);
