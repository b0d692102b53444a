import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicAddress } from './address-policy.js';
import { OutboundRefused, safeGet, type OutboundPolicy } from './safe-fetch.js';

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['1.1.1.1', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['::', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:10.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['not-an-ip', false],
  ])('%s → %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('safeGet', () => {
  const servers: http.Server[] = [];
  let publicLike = ''; // on 127.0.0.1, trusted in these tests as if it were a public host
  let internal = ''; // on 127.0.0.2, an internal address

  const listen = async (host: string, handler: http.RequestListener) => {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    servers.push(server);
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    internal = await listen('127.0.0.2', (_req, res) => res.end('secret'));
    publicLike = await listen('127.0.0.1', (req, res) => {
      if (req.url === '/to-internal') res.writeHead(302, { location: `${internal}/` }).end();
      else if (req.url === '/to-file') res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else if (req.url === '/hop') res.writeHead(301, { location: '/ok' }).end();
      else res.end('hello');
    });
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  const trusted: OutboundPolicy = { allowPrivate: false, trustedAddresses: ['127.0.0.1'] };
  const read = async (url: string, policy: OutboundPolicy = trusted) => {
    const res = await safeGet(url, { policy });
    let text = '';
    for await (const chunk of res.body) text += chunk;
    return { status: res.status, text, url: res.url };
  };

  it('fetches and follows a redirect on allowed addresses', async () => {
    expect(await read(`${publicLike}/hop`)).toEqual({ status: 200, text: 'hello', url: `${publicLike}/ok` });
  });

  it('refuses loopback, metadata and private targets, by address and by name', async () => {
    const policy = { allowPrivate: false };
    await expect(read(`${publicLike}/`, policy)).rejects.toThrow(/127\.0\.0\.1 is a private, loopback or link-local address/);
    await expect(read('http://169.254.169.254/latest/meta-data/', policy)).rejects.toThrow(OutboundRefused);
    await expect(read(`http://localhost:${new URL(publicLike).port}/`, policy)).rejects.toThrow(/localhost resolves to/);
    await expect(read('http://[::1]:1/', policy)).rejects.toThrow(OutboundRefused);
  });

  it('checks every redirect: to a private address, to another scheme, or without end', async () => {
    await expect(read(`${publicLike}/to-internal`)).rejects.toThrow(/127\.0\.0\.2 is a private/);
    await expect(read(`${publicLike}/to-file`)).rejects.toThrow(/only http and https/);
    await expect(read(`${publicLike}/loop`)).rejects.toThrow(/more than 5 redirects/);
  });

  it('lets everything through when private URLs are allowed', async () => {
    expect((await read(`${internal}/`, { allowPrivate: true })).text).toBe('secret');
  });

  it('refuses other schemes and credentials before connecting', async () => {
    await expect(read('ftp://example.com/x')).rejects.toThrow(/only http and https/);
    await expect(read('http://user:pw@example.com/x')).rejects.toThrow(/credentials/);
  });
});
