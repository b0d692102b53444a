import { renderTask } from '../../render-task/render-task.js';
import { isJoinSpec, isSegmentSpec } from '../../segments/segment-spec.js';
import { joinSegments, renderSegment } from '../../segments/segment-task.js';
import type { TaskContext, TaskHandler } from '../task-handler.js';

/**
 * `render`: an editing task (`POST /api/task/editing`): sources in, XTL rendered, outputs up.
 * A segmented render's parts and its join come as render tasks too (segments/segment-spec.ts).
 */
export const render: TaskHandler<'render'> = (context) => {
  const { spec } = context.order;
  if (isSegmentSpec(spec)) return renderSegment(withSpec(context, spec));
  if (isJoinSpec(spec)) return joinSegments(withSpec(context, spec));
  return renderTask(withSpec(context, spec));
};

/** The context with its order's spec narrowed to the variant found. */
function withSpec<Spec>(context: TaskContext<unknown>, spec: Spec): TaskContext<Spec> {
  return { ...context, order: { ...context.order, spec } };
}
