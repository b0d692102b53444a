import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import { BindRefused, type IdentityService } from '../services/identity/identity.js';
import type { AuthFailureLimiter } from '../http/auth-failures.js';

/**
 * `/websocket`: the editor API's presence protocol. The editor sends
 * `{"type":"user_event","payload":{"authToken","sessionId"?}}` (the session may instead come
 * in the socket's URL, `/websocket?session_id=<id>`, as the editor page was opened); the server sends
 * `{"type":"ping"}` every interval and expects `{"type":"pong"}` before the next one, or the
 * socket is dropped. Extensions the editor API's client ignores: `user_bound`, `error`, and pushes
 * such as `task_progress`.
 */

interface SocketState {
  /** The client's address, for the limit on failed binds. */
  address: string;
  /** `?session_id=` of the socket's URL: the user a `user_event` without `sessionId` binds to. */
  urlSessionId?: string;
  token?: string;
  userId?: string;
  awaitingPong: boolean;
  openedAtMs: number;
  /** Messages are handled one at a time per socket, in order. */
  queue: Promise<void>;
}

export interface PresenceOptions {
  pingIntervalMs: number;
  /** A socket that has not sent `user_event` by then is closed. */
  bindTimeoutMs: number;
  clientAddress: (req: IncomingMessage) => string;
  /** Refused binds count as failed authentications of the client's address. */
  authFailures: AuthFailureLimiter;
}

const CLOSE_REFUSED = 4001;
const CLOSE_BIND_TIMEOUT = 4002;
const MAX_MESSAGE_BYTES = 64 * 1024;

export class PresenceServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly sockets = new Map<WebSocket, SocketState>();
  private readonly byUser = new Map<string, Set<WebSocket>>();
  private timer: NodeJS.Timeout | undefined;
  /** Set once `close` starts: no socket is accepted and no message handled after it. */
  private closing = false;

  constructor(
    private readonly identity: IdentityService,
    private readonly options: PresenceOptions,
    private readonly log: Logger,
    private readonly onCountChange: (openSockets: number) => void = () => {},
  ) {}

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (pathname !== '/websocket') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (this.closing) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const address = this.options.clientAddress(req);
      const urlSessionId = new URL(req.url ?? '/', 'http://localhost').searchParams.get('session_id') || undefined;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, address, urlSessionId));
    });
    this.timer = setInterval(() => void this.pingRound(), this.options.pingIntervalMs);
    this.timer.unref();
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /** Sends a message to every open socket of a user on this replica. */
  pushToUser(userId: string, message: { type: string; payload?: unknown }): void {
    const text = JSON.stringify(message);
    for (const ws of this.byUser.get(userId) ?? []) {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    const releases: Promise<void>[] = [];
    for (const [ws, state] of this.sockets) {
      ws.close(1001, 'server shutting down');
      // After the messages already queued for this socket, so none reaches a closed database.
      releases.push(state.queue.then(() => this.forget(ws, state)));
    }
    await Promise.allSettled(releases);
    this.wss.close();
  }

  private accept(ws: WebSocket, address: string, urlSessionId: string | undefined): void {
    if (this.closing) {
      ws.close(1001, 'server shutting down');
      return;
    }
    const state: SocketState = { address, awaitingPong: false, openedAtMs: Date.now(), queue: Promise.resolve(), ...(urlSessionId ? { urlSessionId } : {}) };
    this.sockets.set(ws, state);
    this.onCountChange(this.sockets.size);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.closing) return;
      state.queue = state.queue
        .then(() => this.handle(ws, state, data, isBinary))
        .catch((error: unknown) => {
          this.log.error({ err: error }, 'websocket message failed');
        });
    });
    ws.on('close', () => {
      state.queue = state.queue
        .then(() => this.forget(ws, state))
        .catch((error: unknown) => {
          this.log.warn({ err: error }, 'releasing a closed socket failed');
        });
    });
    ws.on('error', (error) => this.log.debug({ err: error }, 'websocket error'));
  }

  private async handle(ws: WebSocket, state: SocketState, data: RawData, isBinary: boolean): Promise<void> {
    if (isBinary) return;
    let message: { type?: unknown; payload?: { authToken?: unknown; sessionId?: unknown } };
    try {
      message = JSON.parse(data.toString()) as typeof message;
    } catch {
      this.send(ws, { type: 'error', payload: { reason: 'bad_message', message: 'messages must be JSON' } });
      return;
    }
    if (message?.type === 'pong') {
      state.awaitingPong = false;
      return;
    }
    if (message?.type !== 'user_event') return;
    const { authToken, sessionId = state.urlSessionId } = message.payload ?? {};
    if (typeof authToken !== 'string' || (sessionId !== undefined && typeof sessionId !== 'string')) {
      await this.refuse(ws, state, new BindRefused('bad_token', 'payload.authToken must be a string and payload.sessionId a string'));
      return;
    }
    if (state.token === authToken && (sessionId === undefined || sessionId === state.userId)) return;
    const waitS = await this.options.authFailures.blockedForS(state.address);
    if (waitS > 0) {
      this.send(ws, { type: 'error', payload: { reason: 'rate_limited', message: `too many failed authentications from this address; retry in ${waitS} s` } });
      ws.close(CLOSE_REFUSED, 'rate_limited');
      return;
    }
    try {
      const userId = await this.identity.bindToken(authToken, sessionId);
      if (state.token !== undefined) await this.release(ws, state);
      state.token = authToken;
      state.userId = userId;
      if (ws.readyState !== WebSocket.OPEN) {
        // The socket closed while binding: undo, since `close` ran before the token was known.
        await this.release(ws, state);
        return;
      }
      let set = this.byUser.get(userId);
      if (!set) this.byUser.set(userId, (set = new Set()));
      set.add(ws);
      this.send(ws, { type: 'user_bound', payload: { userId } });
    } catch (error) {
      if (error instanceof BindRefused) await this.refuse(ws, state, error);
      else throw error;
    }
  }

  private async refuse(ws: WebSocket, state: SocketState, error: BindRefused): Promise<void> {
    this.send(ws, { type: 'error', payload: { reason: error.reason, message: error.message } });
    ws.close(CLOSE_REFUSED, error.reason);
    await this.options.authFailures.record(state.address, { credential: 'websocket', reason: error.reason });
  }

  private send(ws: WebSocket, message: unknown): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  private async forget(ws: WebSocket, state: SocketState): Promise<void> {
    if (!this.sockets.delete(ws)) return;
    this.onCountChange(this.sockets.size);
    await this.release(ws, state);
  }

  private async release(ws: WebSocket, state: SocketState): Promise<void> {
    const { token, userId } = state;
    state.token = undefined;
    state.userId = undefined;
    if (userId !== undefined) {
      const set = this.byUser.get(userId);
      set?.delete(ws);
      if (set?.size === 0) this.byUser.delete(userId);
    }
    if (token !== undefined) await this.identity.releaseToken(token);
  }

  private async pingRound(): Promise<void> {
    const now = Date.now();
    const tokens = new Set<string>();
    for (const [ws, state] of this.sockets) {
      if (state.awaitingPong) {
        ws.terminate();
        continue;
      }
      if (state.token === undefined && now - state.openedAtMs > this.options.bindTimeoutMs) {
        ws.close(CLOSE_BIND_TIMEOUT, 'no user_event received');
        continue;
      }
      state.awaitingPong = true;
      this.send(ws, { type: 'ping' });
      if (state.token !== undefined) tokens.add(state.token);
    }
    try {
      await this.identity.heartbeat([...tokens]);
    } catch (error) {
      this.log.warn({ err: error }, 'presence heartbeat failed');
    }
  }
}
