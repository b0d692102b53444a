import { renderTask } from '../../render-task/render-task.js';
import type { RenderTaskSpec } from '../../render-task/render-spec.js';
import type { TaskContext } from '../task-handler.js';

/** `render`: an editing task (`POST /api/task/editing`): sources in, XTL rendered, outputs up. */
export const render = (context: TaskContext<RenderTaskSpec>) => renderTask(context);
