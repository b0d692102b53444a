import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from './auth-failures.js';
import { clientAddress, compileTrust } from './client-address.js';
import { HttpError } from './errors.js';

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const request = (peer: string, forwarded?: string) =>
  ({
    socket: { remoteAddress: peer },
    connection: { remoteAddress: peer },
    headers: forwarded ? { 'x-forwarded-for': forwarded } : {},
  }) as unknown as IncomingMessage;

describe('AuthFailureLimiter', () => {
  it('logs each failure with the address and never the credential, then blocks the address', async () => {
    const { logger, lines } = capturedLogger();
    const limiter = new AuthFailureLimiter({ limit: 3, windowS: 60 }, logger);
    for (let i = 0; i < 3; i++) {
      await limiter.check('198.51.100.9');
      await limiter.record('198.51.100.9', { credential: 'user', reason: 'no user for this token', path: '/api/mediafiles' });
    }
    const refused = await limiter.check('198.51.100.9').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(429);
    expect(Number((refused as HttpError).headers['Retry-After'])).toBeGreaterThan(55);
    await limiter.check('198.51.100.10');
    await new Promise((r) => setTimeout(r, 10));
    expect(lines.filter((l) => l.msg === 'authentication failed').map((l) => [l.clientAddress, l.credential, l.failures])).toEqual([
      ['198.51.100.9', 'user', 1],
      ['198.51.100.9', 'user', 2],
      ['198.51.100.9', 'user', 3],
    ]);
    expect(lines.filter((l) => l.msg === 'address blocked after repeated authentication failures')).toHaveLength(1);
  });

  it('only logs when the limit is off', async () => {
    const { logger, lines } = capturedLogger();
    const limiter = new AuthFailureLimiter({ limit: 0, windowS: 60 }, logger);
    for (let i = 0; i < 50; i++) await limiter.record('198.51.100.9', { credential: 'admin', reason: 'wrong' });
    await limiter.check('198.51.100.9');
    await new Promise((r) => setTimeout(r, 10));
    expect(lines).toHaveLength(50);
  });
});

describe('clientAddress', () => {
  const defaults = compileTrust(['loopback', 'linklocal', 'uniquelocal']);
  it('believes X-Forwarded-For from a proxy on a private network, not from the internet', () => {
    expect(clientAddress(request('10.1.2.3', '203.0.113.5'), defaults)).toBe('203.0.113.5');
    expect(clientAddress(request('127.0.0.1', '203.0.113.5'), defaults)).toBe('203.0.113.5');
    // A client on the internet cannot name itself another address to dodge its limit.
    expect(clientAddress(request('198.51.100.1', '203.0.113.5'), defaults)).toBe('198.51.100.1');
    // Nor can it prepend addresses in front of what a trusted proxy appended.
    expect(clientAddress(request('10.1.2.3', '203.0.113.5, 198.51.100.1'), defaults)).toBe('198.51.100.1');
    expect(clientAddress(request('10.1.2.3', '203.0.113.5'), compileTrust(false))).toBe('10.1.2.3');
    expect(clientAddress(request('198.51.100.1', '203.0.113.5'), compileTrust(true))).toBe('203.0.113.5');
  });
});
