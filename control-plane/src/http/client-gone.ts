import type { Response } from 'express';

/** Why work for an answer stopped: nobody is left to receive it (not a server failure). */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/**
 * A signal that aborts when the client closes its connection before the answer was sent, so
 * work done only for that answer (frame extractions) stops with it.
 */
export function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new ClientGoneError());
  });
  return controller.signal;
}
