import type { TaskContext } from '../task-handler.js';
import { projectImport as runProjectImport } from '../../project-import/project-import.js';
import type { ProjectImportSpec } from '../../project-import/project-import-spec.js';

/** `project_import`: unpack a project zip, read its edit list, store its media. */
export const projectImport = (context: TaskContext<ProjectImportSpec>) => runProjectImport(context);
