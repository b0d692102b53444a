import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

/**
 * A local HTTP server for media sources in tests. `/file/<name>` serves a registered file;
 * `/stall-once/<name>` holds the first request open without a byte, then serves the file;
 * `/stall/<name>` always stalls. It counts requests and tells when a stalled one was dropped.
 */
export class MediaServer {
  private readonly server: http.Server;
  private readonly files = new Map<string, string>();
  private readonly stalledOnce = new Set<string>();
  private readonly sockets = new Set<Socket>();
  readonly requests: string[] = [];
  /** Resolvers waiting for a stalled request's client to hang up. */
  private dropWaiters: Array<() => void> = [];
  private stallWaiters: Array<() => void> = [];
  url = '';

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  add(name: string, file: string): string {
    this.files.set(name, file);
    return `${this.url}/file/${name}`;
  }

  /** Resolves when the next request is held stalled. */
  nextStall(): Promise<void> {
    return new Promise((resolve) => this.stallWaiters.push(resolve));
  }

  /** Resolves when a client of a stalled request hangs up. */
  nextDrop(): Promise<void> {
    return new Promise((resolve) => this.dropWaiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push(req.url ?? '');
    const [, mode, name] = (req.url ?? '').split('/');
    const file = name ? this.files.get(name) : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const stall = mode === 'stall' || (mode === 'stall-once' && !this.stalledOnce.has(name!));
    if (stall) {
      if (mode === 'stall-once') this.stalledOnce.add(name!);
      req.socket.on('close', () => this.dropWaiters.splice(0).forEach((resolve) => resolve()));
      this.stallWaiters.splice(0).forEach((resolve) => resolve());
      return;
    }
    const size = fs.statSync(file).size;
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Number(range[2]) : size - 1;
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' });
      fs.createReadStream(file, { start, end }).pipe(res);
    } else {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes', 'content-type': 'video/mp4' });
      fs.createReadStream(file).pipe(res);
    }
  }
}
