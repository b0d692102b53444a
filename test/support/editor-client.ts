import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

/**
 * The editor API's sample editor client, run as written (onopen sends `user_event`, onmessage answers
 * `ping` with `pong`), with hooks for tests to see what the server said.
 */

export interface EditorConnection {
  ws: WebSocket;
  authToken: string;
  /** The user the server bound the token to (from the `user_bound` extension message). */
  userId: string;
  messages: Array<{ type: string; payload?: any }>;
  pingsAnswered: number;
  close(): Promise<void>;
  /** Resolves with the next message of a type. */
  next(type: string, timeoutMs?: number): Promise<{ type: string; payload?: any }>;
}

export class EditorRefused extends Error {
  constructor(
    readonly reason: string,
    readonly closeCode: number,
  ) {
    super(`refused: ${reason}`);
  }
}

export interface EditorOptions {
  authToken?: string;
  sessionId?: string;
  /** Stop answering pings (a dead client). */
  answerPings?: boolean;
  /** Extra headers of the upgrade request (X-Forwarded-For, as a proxy would add). */
  headers?: Record<string, string>;
}

export function uniqueToken(): string {
  // The editor API's sample client makes tokens with Date.now(); tests add randomness so parallel tests never collide.
  return `${Date.now()}${randomBytes(4).toString('hex')}`;
}

export function connectEditor(wsUrl: string, options: EditorOptions = {}): Promise<EditorConnection> {
  const authToken = options.authToken ?? uniqueToken();
  const messages: Array<{ type: string; payload?: any }> = [];
  let pingsAnswered = 0;
  const waiters: Array<{ type: string; resolve: (m: { type: string; payload?: any }) => void }> = [];

  const client = new WebSocket(wsUrl, { headers: options.headers });
  client.onopen = () => {
    client.send(
      JSON.stringify({
        type: 'user_event',
        payload: options.sessionId ? { authToken, sessionId: options.sessionId } : { authToken },
      }),
    );
  };
  client.onmessage = (message) => {
    const dataFromServer = JSON.parse(String(message.data));
    messages.push(dataFromServer);
    if (dataFromServer.type === 'ping' && options.answerPings !== false) {
      client.send(JSON.stringify({ type: 'pong' }));
      pingsAnswered += 1;
    }
    for (const waiter of waiters.splice(0)) {
      if (waiter.type === dataFromServer.type) waiter.resolve(dataFromServer);
      else waiters.push(waiter);
    }
  };

  const next = (type: string, timeoutMs = 10_000) =>
    new Promise<{ type: string; payload?: any }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });

  return new Promise((resolve, reject) => {
    let refusal: string | undefined;
    client.on('close', (code) => reject(new EditorRefused(refusal ?? 'closed', code)));
    client.on('error', reject);
    waiters.push({ type: 'error', resolve: (m) => (refusal = m.payload?.reason) });
    waiters.push({
      type: 'user_bound',
      resolve: (m) =>
        resolve({
          ws: client,
          authToken,
          userId: m.payload.userId,
          messages,
          get pingsAnswered() {
            return pingsAnswered;
          },
          next,
          close: () =>
            new Promise<void>((done) => {
              if (client.readyState === WebSocket.CLOSED) return done();
              client.once('close', () => done());
              client.close();
            }),
        }),
    });
  });
}
