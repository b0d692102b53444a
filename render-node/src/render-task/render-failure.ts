import type { RenderErrorCode, RenderError } from '../engine/render-error.js';
import type { ResolvedSource } from '../engine/sources.js';
import { redact } from '../net/transfer.js';
import { TaskFailure } from '../worker/task-handler.js';
import { TRANSIENT_READ_FAILURE } from './prepare-sources.js';

/** Engine failures another attempt (on another node) could get past. */
const RETRYABLE: ReadonlySet<RenderErrorCode> = new Set(['output_failed', 'ffmpeg_unavailable']);

/**
 * The task failure an engine failure becomes. A signed URL is a credential: every source URL in
 * the message is cut to its origin and path. An object store that is down or overloaded while
 * a source is read is worth another attempt, as when the source was probed; a file ffmpeg cannot
 * read is not.
 */
export function renderFailure(error: RenderError, sources: ReadonlyMap<string, ResolvedSource>): TaskFailure {
  const urls = [...sources.values()].map((s) => s.input).filter((input) => /^https?:/.test(input));
  const message = urls.reduce((text, url) => text.split(url).join(redact(url)), error.message);
  const transient = error.code === 'source_unreadable' && urls.length > 0 && TRANSIENT_READ_FAILURE.test(message);
  return new TaskFailure({ ...error.toJSON(), message }, RETRYABLE.has(error.code) || transient, { cause: error });
}
