import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../control-plane/src/config.js';
import { startControlPlane, type ControlPlane } from '../../control-plane/src/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

/**
 * What every answer carries, header by header in the order written: the request id, the security
 * headers, CORS, the access log line and the duration metric. The cheapest routes are served
 * by a shorter path than the rest; a client must not be able to tell.
 */

interface RawAnswer {
  status: number;
  /** Header names as written and their values, in order; Date and X-Request-Id values blanked. */
  headers: Array<[string, string]>;
  id: string;
  body: string;
}

const agent = new http.Agent({ keepAlive: true });

function request(base: string, method: string, target: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${target}`, { method, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i]!;
          const lower = name.toLowerCase();
          pairs.push([name, lower === 'date' || lower === 'x-request-id' ? '' : res.rawHeaders[i + 1]!]);
        }
        resolve({ status: res.statusCode!, headers: pairs, id: String(res.headers['x-request-id']), body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const SECURITY: Array<[string, string]> = [
  ['Content-Security-Policy', "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none';sandbox"],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'cross-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'DENY'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];
const CORS: Array<[string, string]> = [
  ['Vary', 'Origin'],
  ['Access-Control-Expose-Headers', 'Range,Content-Range,Accept-Ranges,Content-Length,X-Request-Id'],
];
const JSON_TYPE: [string, string] = ['Content-Type', 'application/json; charset=utf-8'];
const KEEP_ALIVE: Array<[string, string]> = [
  ['Connection', 'keep-alive'],
  ['Keep-Alive', 'timeout=65'],
];

describe('the headers, logs and metrics of every answer', () => {
  let database: TestDatabase;
  let dataDir: string;
  let controlPlane: ControlPlane;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-test-'));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'debug',
      DATABASE_URL: database.url!,
      CORS_ORIGINS: 'https://editor.example',
    });
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    controlPlane = await startControlPlane(config, pino({ level: 'debug' }, stream));
  });
  afterAll(async () => {
    agent.destroy();
    await controlPlane?.stop();
    await database?.drop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('answers GET and HEAD /api/version with the same headers, in the same order, as ever', async () => {
    const version = await request(controlPlane.url, 'GET', '/api/version');
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d{4}\.\d{2}$/) });
    expect(version.id).toMatch(/^[\w-]{22}$/);
    const expected: Array<[string, string]> = [
      ['X-Request-Id', ''],
      ...SECURITY,
      ...CORS,
      JSON_TYPE,
      ['Content-Length', String(Buffer.byteLength(version.body))],
      ['Date', ''],
      ...KEEP_ALIVE,
    ];
    expect(version.headers).toEqual(expected);

    const head = await request(controlPlane.url, 'HEAD', '/api/version');
    expect([head.status, head.body, head.headers]).toEqual([200, '', expected]);

    // Written otherwise, the same route answers the same.
    for (const target of ['/api/version?x=1', '/API/Version', '/api/version/']) {
      const other = await request(controlPlane.url, 'GET', target);
      expect([other.status, other.body, other.headers], target).toEqual([200, version.body, expected]);
    }
  });

  it('echoes the request id and allows the editor origin', async () => {
    const answer = await request(controlPlane.url, 'GET', '/api/version', { 'x-request-id': 'given-1.a', origin: 'https://editor.example' });
    expect(answer.id).toBe('given-1.a');
    expect(answer.headers.slice(0, 1 + SECURITY.length + 1)).toEqual([
      ['X-Request-Id', ''],
      ...SECURITY,
      ['Access-Control-Allow-Origin', 'https://editor.example'],
    ]);
    const stranger = await request(controlPlane.url, 'GET', '/api/version', { origin: 'https://elsewhere.example' });
    expect(stranger.headers.map(([name]) => name)).not.toContain('Access-Control-Allow-Origin');
  });

  it('answers errors, of a route and of no route, with the same headers as ever', async () => {
    const refused = await request(controlPlane.url, 'GET', '/api/config');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error.type).toBe('unauthorized');
    expect(refused.headers).toEqual([
      ['X-Request-Id', ''],
      ...SECURITY,
      ...CORS,
      JSON_TYPE,
      ['Content-Length', String(Buffer.byteLength(refused.body))],
      ['Date', ''],
      ...KEEP_ALIVE,
    ]);

    const missing = await request(controlPlane.url, 'GET', '/api/version/nothing');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error).toEqual({ type: 'not_found', message: 'no route for GET /api/version/nothing', title: 'Not found' });
    expect(missing.headers).toEqual([
      ['X-Request-Id', ''],
      ...SECURITY,
      ...CORS,
      ['Connection', 'close'],
      JSON_TYPE,
      ['Content-Length', String(Buffer.byteLength(missing.body))],
      ['Date', ''],
    ]);
  });

  it('counts every answer by its route pattern and logs it with its request id', async () => {
    const scrape = async () => (await request(controlPlane.url, 'GET', '/metrics')).body;
    const count = (text: string, labels: string) =>
      Number(new RegExp(`^cutroom_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const before = await scrape();
    const ok = await request(controlPlane.url, 'GET', '/api/version', { 'x-request-id': 'counted-1' });
    await request(controlPlane.url, 'HEAD', '/api/version');
    const refused = await request(controlPlane.url, 'GET', '/api/config');
    await request(controlPlane.url, 'GET', '/api/mediafiles/nothing');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await scrape();
    expect([ok.status, ok.id, refused.status]).toEqual([200, 'counted-1', 401]);
    for (const labels of [
      'method="GET",route="/api/version",status="200"',
      'method="HEAD",route="/api/version",status="200"',
      'method="GET",route="/api/config",status="401"',
      'method="GET",route="/api/mediafiles/:id",status="401"',
    ]) {
      expect(count(after, labels) - count(before, labels), labels).toBe(1);
    }

    const access = lines.filter((line) => line.reqId === 'counted-1');
    expect(access).toEqual([
      expect.objectContaining({ level: 20, msg: 'request completed', req: { method: 'GET', url: '/api/version' }, res: { statusCode: 200 } }),
    ]);
    expect(lines.filter((line) => line.reqId === refused.id)).toEqual([
      expect.objectContaining({ level: 20, msg: 'request completed', req: { method: 'GET', url: '/api/config' }, res: { statusCode: 401 } }),
    ]);
  });
});
