import type { RenderTaskResult, StoredPartSpec, StoredRenderSpec, StoredSpec, TaskResult } from '@cutroom/render-node';

/**
 * What the control plane keeps of an editing task (the `spec` of a `render` task row) and of
 * the parts of a segmented one. The shapes are named with every kind's in the render node's
 * task-kinds.ts (render-task/stored-render-spec.ts); the helpers here tell a render's from a part's.
 */
export type { SourceRef, StoredOutput, StoredPart, StoredPartSpec, StoredRenderSpec, StoredSegments } from '@cutroom/render-node';

export function isPartSpec(spec: StoredSpec<'render'>): spec is StoredPartSpec {
  return 'partOf' in spec && typeof spec.partOf === 'string';
}

export function storedPartSpec(spec: StoredSpec<'render'>): StoredPartSpec {
  if (!isPartSpec(spec)) throw new Error('a render task where a part of one was expected');
  return spec;
}

export function storedRenderSpec(spec: StoredSpec<'render'>): StoredRenderSpec {
  if (isPartSpec(spec)) throw new Error(`a part of render ${spec.partOf} where a whole render was expected`);
  return spec;
}

/** What the node reported of a whole render's outputs; a part's result (never expected here) reports none. */
export function renderResult(result: TaskResult<'render'>): RenderTaskResult {
  return 'outputs' in result ? result : { outputs: [] };
}
