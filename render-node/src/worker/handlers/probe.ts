import { ffprobe, FfmpegError } from '../../ffmpeg/index.js';
import type { ProbeResult, ProbeSpec } from '../../task-kinds.js';
import { TaskFailure, type TaskContext } from '../task-handler.js';

/** `probe`: ffprobe of a URL; the result is ffprobe's format and streams. */
export async function probe(context: TaskContext<ProbeSpec>): Promise<ProbeResult> {
  const { url } = context.order.spec;
  context.progress(0, 'running');
  context.log(`probing ${new URL(url).origin}`);
  try {
    const result = await ffprobe(url, { signal: context.signal });
    context.progress(1);
    return { format: result.format, streams: result.streams };
  } catch (error) {
    if (error instanceof FfmpegError) {
      throw new TaskFailure({ type: 'engine_error', code: 'probe_failed', message: error.stderrTail || error.message }, false, { cause: error });
    }
    throw error;
  }
}
