import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An integrator's server for tests: a callback receiver whose behaviour the test sets
 * (answer, fail, hang, redirect forever), plus whatever custom URLs a test registers.
 */

export interface ReceivedCallback {
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  body: { type: string; userData: string; apiAuthToken: string; payload: Record<string, unknown> };
  answered: number;
}

export type CallbackBehaviour = 'ok' | 'fail' | 'hang' | 'redirect-loop' | 'garbage';

export class DeveloperServer {
  readonly callbacks: ReceivedCallback[] = [];
  /** Behaviour per incoming callback, consumed in order; `then` applies after the list runs out. */
  script: CallbackBehaviour[] = [];
  then: CallbackBehaviour = 'ok';
  /** Handlers by path prefix; an async one's failure fails the request it answers. */
  readonly routes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => unknown>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
  private readonly hanging = new Set<http.ServerResponse>();
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get callbackUrl(): string {
    return `${this.url}/callbacks`;
  }

  /** Callbacks answered 2xx, in arrival order. */
  delivered(): ReceivedCallback[] {
    return this.callbacks.filter((c) => c.answered >= 200 && c.answered < 300);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const route = [...this.routes.entries()].find(([prefix]) => path.startsWith(prefix));
    if (route) {
      await route[1](req, res);
      return;
    }
    if (path === '/callbacks/loop') {
      res.writeHead(302, { location: '/callbacks/loop' }).end();
      return;
    }
    if (path !== '/callbacks') {
      res.writeHead(404).end();
      return;
    }
    let rawBody = '';
    for await (const chunk of req) rawBody += chunk;
    const behaviour = this.script.shift() ?? this.then;
    const status = { ok: 200, fail: 500, hang: 0, 'redirect-loop': 302, garbage: 200 }[behaviour];
    this.callbacks.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody), answered: behaviour === 'garbage' ? 200 : status });
    if (behaviour === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (behaviour === 'redirect-loop') res.writeHead(302, { location: '/callbacks/loop' }).end();
    else if (behaviour === 'garbage') res.writeHead(200).end('\u0000not json');
    else res.writeHead(status).end('{}');
  }
}
