import { renderTask } from '../../render-task/render-task.js';
import type { RenderTaskSpec } from '../../render-task/render-spec.js';
import { isJoinSpec, isSegmentSpec, type JoinTaskSpec, type SegmentTaskSpec } from '../../segments/segment-spec.js';
import { joinSegments, renderSegment } from '../../segments/segment-task.js';
import type { TaskContext } from '../task-handler.js';

/**
 * `render`: an editing task (`POST /api/task/editing`): sources in, XTL rendered, outputs up.
 * A segmented render's parts and its join come as render tasks too (segments/segment-spec.ts).
 */
export const render = (context: TaskContext<RenderTaskSpec | SegmentTaskSpec | JoinTaskSpec>) => {
  const { spec } = context.order;
  if (isSegmentSpec(spec)) return renderSegment(context as TaskContext<SegmentTaskSpec>);
  if (isJoinSpec(spec)) return joinSegments(context as TaskContext<JoinTaskSpec>);
  return renderTask(context as TaskContext<RenderTaskSpec>);
};
