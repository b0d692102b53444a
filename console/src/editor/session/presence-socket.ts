/**
 * The presence socket, as the editor API's sample client opens it: on open it sends
 * `{"type":"user_event","payload":{"authToken"}}` (with the `sessionId` the editor got as
 * `?session_id=`), and answers every `{"type":"ping"}` with `{"type":"pong"}`. The server's
 * extensions (`user_bound`, `error`, `task_progress` pushes) are handed to listeners. A dropped
 * socket reconnects with the same token, so HTTP calls keep working across a network blip.
 */

export interface PushMessage {
  type: string;
  payload?: unknown;
}

export interface TaskProgressPayload {
  id: string;
  kind: string;
  state: string;
  stage: string | null;
  progress: number;
}

export class SocketRefused extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'SocketRefused';
  }
}

type Listener = (message: PushMessage) => void;

export class PresenceSocket {
  private socket: WebSocket | undefined;
  private readonly listeners = new Set<Listener>();
  private closed = false;
  private retryDelayMs = 500;
  private bound: Promise<string> | undefined;
  /** Whether the socket is open and bound now. */
  connected = false;
  onConnectionChange: (connected: boolean) => void = () => {};

  constructor(
    private readonly url: string,
    readonly authToken: string,
    private readonly sessionId: string | undefined,
  ) {}

  /** Opens the socket; resolves with the user id the server bound the token to. */
  connect(): Promise<string> {
    this.bound ??= this.open();
    return this.bound;
  }

  onMessage(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }

  private open(): Promise<string> {
    return new Promise((resolve, reject) => {
      const client = new WebSocket(this.url);
      this.socket = client;
      let userId: string | undefined;
      let refusal: SocketRefused | undefined;
      client.onopen = () => {
        const payload = this.sessionId ? { authToken: this.authToken, sessionId: this.sessionId } : { authToken: this.authToken };
        client.send(JSON.stringify({ type: 'user_event', payload }));
      };
      client.onmessage = (message) => {
        const dataFromServer = JSON.parse(String(message.data)) as PushMessage;
        if (dataFromServer.type === 'ping') {
          client.send(JSON.stringify({ type: 'pong' }));
          return;
        }
        if (dataFromServer.type === 'user_bound') {
          userId = (dataFromServer.payload as { userId: string }).userId;
          this.retryDelayMs = 500;
          this.setConnected(true);
          resolve(userId);
        } else if (dataFromServer.type === 'error') {
          const { reason, message: text } = dataFromServer.payload as { reason: string; message?: string };
          refusal = new SocketRefused(reason, text ?? reason);
        }
        for (const listener of this.listeners) listener(dataFromServer);
      };
      client.onclose = () => {
        this.setConnected(false);
        if (userId === undefined) {
          reject(refusal ?? new Error('the presence socket closed before the session was bound'));
          return;
        }
        if (this.closed || refusal) return;
        // Same token, same session: reconnect after a short, growing pause.
        setTimeout(() => {
          if (!this.closed) this.open().catch(() => undefined);
        }, this.retryDelayMs);
        this.retryDelayMs = Math.min(10_000, this.retryDelayMs * 2);
      };
    });
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.onConnectionChange(connected);
  }
}
