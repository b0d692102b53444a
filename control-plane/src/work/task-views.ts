import type { ActiveWorkCounter } from '../services/operations/stats.js';
import type { TaskRow, TaskStore } from './task-store.js';

/** How tasks look from outside: `/api/stat` counts and WebSocket progress pushes. */

export async function activeWorkFromTasks(store: TaskStore): ReturnType<ActiveWorkCounter['activeWork']> {
  const counts = await store.counts();
  const sum = (...kinds: string[]) => counts.filter((c) => kinds.includes(c.kind)).reduce((n, c) => n + c.count, 0);
  return {
    // Every ingest builds the timeline thumbnails of its file.
    activeBuildThumbsTasksCount: sum('ingest'),
    activeRenderTasksCount: sum('render'),
    activeImportFromURLTasksCount: sum('import_url'),
    // Uploads and project imports in progress are sessions, not tasks: the composition root adds them.
    activeImportFromLocalDriveCount: 0,
    // Voiceover sessions are not tasks either; the voiceover service counts them.
    activeVoiceoverSessionsCount: 0,
  };
}

/** `{type: "task_progress"}`: an extension the editor API's client ignores; progress in percent. */
export function taskProgressMessage(task: TaskRow) {
  return {
    type: 'task_progress',
    payload: {
      id: task.id,
      kind: task.kind,
      state: task.state,
      stage: task.stage,
      progress: Math.round(task.progress * 100),
    },
  };
}
