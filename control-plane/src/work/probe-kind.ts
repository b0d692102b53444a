import type { TaskKindDefinition } from './task-kinds.js';

/**
 * `probe`: ffprobe of a URL on a render node. The smallest real task kind: it exercises the
 * whole path (claim, launch, work order, progress, result) and media info builds on it.
 */
export function probeKind(options: { maxAttempts: number; heartbeatTimeoutS: number }): TaskKindDefinition<'probe'> {
  return {
    kind: 'probe',
    maxAttempts: options.maxAttempts,
    heartbeatTimeoutS: options.heartbeatTimeoutS,
    deadlineS: 600,
    workOrder: async (task) => ({ url: task.spec.url }),
  };
}
