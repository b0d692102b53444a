import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpServerComponents } from './http-server.js';

/** A server whose `/slow` requests are answered only when the test says. */
function slowServer(shutdownTimeoutMs: number) {
  const waiting: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') waiting.push(res);
    else res.end('ok');
  });
  return { components: new HttpServerComponents(server, { port: 0, host: '127.0.0.1', shutdownTimeoutMs }), waiting };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('HttpServerComponents', () => {
  it('listens, then stops taking requests while those in flight finish', async () => {
    const { components, waiting } = slowServer(60_000);
    expect(components.url).toBeUndefined();
    await components.listener.start!();
    const url = components.url!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(`${url}/`)).body).toBe('ok');
    const slow = get(`${url}/slow`);
    await expect.poll(() => waiting.length).toBe(1);
    await components.listener.stop!();
    await expect(get(`${url}/`)).rejects.toThrow(/ECONNREFUSED/);
    const drained = components.drain.stop!();
    waiting[0]!.end('finished');
    await drained;
    expect(await slow).toEqual({ status: 200, body: 'finished' });
  });

  it('cuts the connections still busy once the shutdown timeout has passed', async () => {
    const { components, waiting } = slowServer(50);
    await components.listener.start!();
    const slow = get(`${components.url}/slow`);
    await expect.poll(() => waiting.length).toBe(1);
    await components.listener.stop!();
    await components.drain.stop!();
    await expect(slow).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('has nothing to drain when it never listened', async () => {
    const { components } = slowServer(60_000);
    await components.drain.stop!();
  });

  it('fails to start on an address in use, holding nothing', async () => {
    const first = slowServer(50);
    await first.components.listener.start!();
    const port = Number(new URL(first.components.url!).port);
    const second = new HttpServerComponents(http.createServer(), { port, host: '127.0.0.1', shutdownTimeoutMs: 50 });
    await expect(second.listener.start!()).rejects.toThrow(/EADDRINUSE/);
    expect(second.server.listening).toBe(false);
    await first.components.listener.stop!();
    await first.components.drain.stop!();
  });
});
