import type { Response } from 'express';

/**
 * A signal that aborts when the client closes its connection before the answer was sent, so
 * work done only for that answer (frame extractions) stops with it.
 */
export function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('the client closed the connection'));
  });
  return controller.signal;
}
