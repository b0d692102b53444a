/**
 * Engine failures, one stable `code` per class, so that the control plane can map them to the
 * editor API's `{type: engine_error, message, code}` object and operators can count them.
 */
export const RENDER_ERROR_CODES = [
  /** The timeline cannot be rendered as written (clip past its source's end, nothing to render...). */
  'bad_timeline',
  /** A source could not be resolved, read or understood. */
  'source_unreadable',
  /** ffmpeg failed while rendering or encoding. */
  'encode_failed',
  /** The output could not be written (work directory missing, disk full). */
  'output_failed',
  /** The render was stopped through its AbortSignal. */
  'aborted',
  /** ffmpeg is missing or too old on this node. */
  'ffmpeg_unavailable',
] as const;
export type RenderErrorCode = (typeof RENDER_ERROR_CODES)[number];

export class RenderError extends Error {
  constructor(
    readonly code: RenderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RenderError';
  }

  /** The editor API's engine error object. */
  toJSON(): { type: 'engine_error'; code: RenderErrorCode; message: string } {
    return { type: 'engine_error', code: this.code, message: this.message };
  }
}
