import { execFile } from 'node:child_process';
import { TaskFailure, type TaskContext } from '../task-handler.js';

/** `probe`: ffprobe of a URL; the result is ffprobe's format and streams. */
export async function probe(context: TaskContext<{ url: string }>): Promise<Record<string, unknown>> {
  const { url } = context.order.spec;
  context.progress(0, 'running');
  context.log(`probing ${new URL(url).origin}`);
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', url],
      { signal: context.signal, killSignal: 'SIGKILL', maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error) {
          if (context.signal.aborted) reject(context.signal.reason);
          else reject(new TaskFailure({ type: 'engine_error', code: 'probe_failed', message: stderr.trim() || error.message }));
        } else resolve(stdout);
      },
    );
  });
  context.progress(1);
  const parsed = JSON.parse(output) as { format?: unknown; streams?: unknown };
  return { format: parsed.format ?? null, streams: parsed.streams ?? [] };
}
