import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { afterAll } from 'vitest';
import { createHttpServer } from '../http/app.js';

/**
 * For a test file: serves Express apps on loopback ports, by the server the control plane uses
 * (`createHttpServer`), and closes them all after the file's tests. Returns the function that serves one app and answers its base URL.
 */
export function appServer(): (app: Express) => Promise<string> {
  const servers: http.Server[] = [];
  afterAll(() => servers.forEach((server) => server.close()));
  return async (app) => {
    const server = createHttpServer(app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
}
