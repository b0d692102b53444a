import { Writable } from 'node:stream';
import express, { type Express } from 'express';
import cors from 'cors';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { appServer } from '../test-support/serve-app.js';
import { Metrics } from '../metrics.js';
import { bindRequestLog, EXPOSED_HEADERS, front, headersOf, installRequestLogger, newRequestId } from './front.js';
import { securityHeaders } from './security-headers.js';

function capturedLogger(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const serve = appServer();

function routes(app: Express): void {
  app.get('/api/things/:id', (req, res) => {
    req.log.info({ seen: req.params.id }, 'a route logs');
    res.json({ id: req.params.id });
  });
  app.get('/api/bound/:when', (req, res) => {
    if (req.params.when === 'late') req.log.info('before the user is known');
    bindRequestLog(req, { userId: 'u1' });
    req.log.info({ seen: req.params.when }, 'a route logs');
    res.json({});
  });
  app.get('/api/broken', () => {
    throw new Error('boom');
  });
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: 'internal' });
  });
}

/** The chain the front middleware stands for, from the packages themselves: helmet's headers, then cors. */
function referenceApp(corsOrigins: string[] | '*'): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const silent = pino({ level: 'silent' });
  app.use((req, _res, next) => {
    req.log = silent;
    next();
  });
  app.use(securityHeaders());
  app.use(cors({ origin: corsOrigins === '*' ? true : corsOrigins, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 }));
  routes(app);
  return app;
}

function frontApp(corsOrigins: string[] | '*', logger = pino({ level: 'silent' }), metrics = new Metrics()): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  installRequestLogger(app, logger);
  app.use(front({ logger, metrics, corsOrigins, fixedHeaders: headersOf(securityHeaders()) }));
  routes(app);
  return app;
}

/** An answer's headers that do not change from one request to the next. */
async function headersOfAnswer(url: string, init: RequestInit): Promise<Record<string, string>> {
  const answer = await fetch(url, init);
  await answer.arrayBuffer();
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  delete headers.date;
  delete headers['x-request-id'];
  delete headers['keep-alive'];
  return { status: String(answer.status), ...headers };
}

describe('the front middleware', () => {
  const cases: Array<[string, string, RequestInit]> = [
    ['a GET from the editor origin', '/api/things/a', { headers: { origin: 'https://editor.example' } }],
    ['a GET from another origin', '/api/things/a', { headers: { origin: 'https://evil.example' } }],
    ['a GET without an origin', '/api/things/a', {}],
    ['a failing GET', '/api/broken', { headers: { origin: 'https://editor.example' } }],
    [
      'a preflight',
      '/api/things/a',
      {
        method: 'OPTIONS',
        headers: { origin: 'https://editor.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'content-type,authorization' },
      },
    ],
    [
      'a preflight from another origin',
      '/api/things/a',
      { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } },
    ],
  ];

  for (const origins of [['https://editor.example'], '*'] as const) {
    it(`answers every header helmet and cors gave, CORS origins ${JSON.stringify(origins)}`, async () => {
      const reference = await serve(referenceApp(origins as string[] | '*'));
      const lean = await serve(frontApp(origins as string[] | '*'));
      for (const [what, path, init] of cases) {
        expect(await headersOfAnswer(`${lean}${path}`, init), what).toEqual(await headersOfAnswer(`${reference}${path}`, init));
      }
    });
  }

  it('echoes a well-formed request id and makes one otherwise', async () => {
    const url = await serve(frontApp('*'));
    const given = await fetch(`${url}/api/things/a`, { headers: { 'x-request-id': 'abc-123.x' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123.x');
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const made = await fetch(`${url}/api/things/a`, { headers: { 'x-request-id': 'not an id!' } });
      await made.arrayBuffer();
      ids.add(made.headers.get('x-request-id')!);
    }
    expect(ids.size).toBe(300);
    for (const id of ids) expect(id).toMatch(/^[\w-]{22}$/);
    expect(newRequestId()).not.toBe(newRequestId());
  });

  it('writes one access line per request at debug, errors at error, never a token, and none for probes', async () => {
    const { logger, lines } = capturedLogger('debug');
    const url = await serve(frontApp('*', logger));
    await (await fetch(`${url}/api/things/x?auth_token=secret-token&sig=abc&b=1`)).arrayBuffer();
    await (await fetch(`${url}/api/broken`)).arrayBuffer();
    await (await fetch(`${url}/healthz`)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'a route logs'],
      [20, 'request completed'],
      [50, 'request errored'],
    ]);
    expect(lines[0]).toMatchObject({ seen: 'x', req: { method: 'GET', url: '/api/things/x?auth_token=*&sig=*&b=1' } });
    expect(lines[1]).toMatchObject({ req: { method: 'GET', url: '/api/things/x?auth_token=*&sig=*&b=1' }, res: { statusCode: 200 } });
    expect(typeof lines[1]!.responseTime).toBe('number');
    expect(lines[2]).toMatchObject({ req: { method: 'GET', url: '/api/broken' }, res: { statusCode: 500 }, err: { message: 'failed with status code 500' } });
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it('binds the user to what a request logs after it is known, whether its logger was made before or not', async () => {
    const { logger, lines } = capturedLogger('info');
    const url = await serve(frontApp('*', logger));
    for (const when of ['first', 'late']) await (await fetch(`${url}/api/bound/${when}`)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.map((l) => [l.msg, l.userId])).toEqual([
      ['a route logs', 'u1'],
      ['before the user is known', undefined],
      ['a route logs', 'u1'],
    ]);
    for (const line of lines) expect(line).toMatchObject({ reqId: expect.any(String), req: { method: 'GET' } });
    expect(lines[1]!.reqId).toBe(lines[2]!.reqId);
  });

  it('writes no access line below its level', async () => {
    const { logger, lines } = capturedLogger('info');
    const url = await serve(frontApp('*', logger));
    await (await fetch(`${url}/api/things/y`)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.map((l) => l.msg)).toEqual(['a route logs']);
  });

  it('counts each request by method, route pattern and status', async () => {
    const metrics = new Metrics();
    const url = await serve(frontApp('*', pino({ level: 'silent' }), metrics));
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/api/things/${i}`)).arrayBuffer();
    await (await fetch(`${url}/api/broken`)).arrayBuffer();
    await (await fetch(`${url}/nowhere`)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await metrics.registry.getSingleMetricAsString('cutroom_http_request_duration_seconds');
    expect(text).toContain('cutroom_http_request_duration_seconds_count{method="GET",route="/api/things/:id",status="200"} 3');
    expect(text).toContain('cutroom_http_request_duration_seconds_count{method="GET",route="/api/broken",status="500"} 1');
    expect(text).toContain('cutroom_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1');
  });
});
