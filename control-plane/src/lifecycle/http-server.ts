import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Component } from './lifecycle.js';

export interface HttpServerOptions {
  port: number;
  host: string;
  /** How long a shutdown waits for requests in flight before cutting their connections. */
  shutdownTimeoutMs: number;
}

/**
 * The HTTP server as two components, so that a shutdown closes the rest of the process while
 * requests finish: `listener` (started last) takes connections and, stopping, takes no more and
 * ends idle ones; `drain` (started before what requests may still use) waits for the requests in
 * flight, up to the shutdown timeout, then cuts the connections left.
 */
export class HttpServerComponents {
  private closed: Promise<void> | undefined;
  private address: AddressInfo | undefined;

  constructor(
    readonly server: http.Server,
    private readonly options: HttpServerOptions,
  ) {}

  /** The address it listens at, once it does. */
  get url(): string | undefined {
    return this.address && `http://127.0.0.1:${this.address.port}`;
  }

  readonly drain: Component = {
    name: 'http drain',
    stop: async () => {
      if (!this.closed) return;
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.shutdownTimeoutMs).unref());
      await Promise.race([this.closed, timeout]);
      this.server.closeAllConnections();
    },
  };

  readonly listener: Component = {
    name: 'http server',
    start: async () => {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.options.port, this.options.host, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
      this.address = this.server.address() as AddressInfo;
    },
    stop: () => {
      this.closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
    },
  };
}
