import { mediaInfo, type MediaInfoSpec } from '../../ingest/media-info-task.js';
import type { TaskContext } from '../task-handler.js';

/** `mediainfo`: describe an integrator's file by URL (the editor API's media info task). */
export const mediainfo = (context: TaskContext<MediaInfoSpec>) =>
  mediaInfo(context.order.spec, { scratchDir: context.scratchDir, signal: context.signal, progress: context.progress });
