import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';
import { documents, openApiOperations, type Operation } from '../support/openapi-operations.js';

/**
 * The query and path parsers of every GET operation the server documents, fed random values
 * (numbers of any size, quotes, brackets, repeated names, unknown names): each answer is a
 * documented status below 500, and an error is the JSON error model. Generated from the
 * served OpenAPI document, so routes added later are covered too.
 */
const RUNS = Number(process.env.FC_RUNS ?? 60);

const junk = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1',
    '20',
    '1000',
    '1001',
    '1e3',
    '0x10',
    'NaN',
    'Infinity',
    'true',
    'false',
    'root',
    'null',
    'asc',
    'desc',
    'name',
    'size',
    'video,audio',
    ',',
    '"quoted"',
    '""',
    '%',
    '%00',
    '[]',
    '{}',
    "'; drop table media; --",
  ),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);

/** A query string: the operation's own names and some others, sometimes repeated or bracketed. */
const queryFor = (op: Operation) => {
  const names = [...op.parameters.filter((p) => p.in === 'query').map((p) => p.name), 'unknown', 'count[]', 'filter[a]', '__proto__'];
  return fc
    .array(fc.tuple(fc.constantFrom(...names), junk), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(v)}`).join('&'));
};
const pathFor = (op: Operation) =>
  fc.tuple(...op.parameters.filter((p) => p.in === 'path').map(() => junk.filter((v) => v !== '')), fc.constant(0)).map((values) => {
    let path = op.path;
    for (const value of values.slice(0, -1)) path = path.replace(/\{[^}]+\}/, encodeURIComponent(String(value)));
    return path;
  });

describe('query and path parsers of every GET operation', () => {
  let server: TestServer;
  let alice: TestUser;
  let operations: Operation[];
  let tokens: Record<string, string>;
  beforeAll(async () => {
    server = await startTestServer('postgres', { AUTH_FAILURE_LIMIT: '0' });
    alice = await signedInUser(server, 'alice');
    await storedMedia(server, alice.id, { mediaType: 'image', filetype: 'png', thumbnail: 'x' });
    const developer = await server.api('test-admin-token').post('/api/developers', { name: 'dev' });
    tokens = { authToken: alice.token, apiKey: developer.body.apiKey, adminToken: 'test-admin-token' };
    ({ operations } = await openApiOperations(server.url));
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
  });

  it('answers every random query with a documented status below 500', async () => {
    const gets = operations.filter((op) => op.method === 'GET' && op.security !== 'taskToken' && !['/metrics', '/api/openapi.json'].includes(op.path));
    expect(gets.length).toBeGreaterThan(20);
    for (const op of gets) {
      await fc.assert(
        fc.asyncProperty(pathFor(op), queryFor(op), async (path, query) => {
          const headers: Record<string, string> = op.security ? { authorization: tokens[op.security]! } : {};
          const res = await fetch(`${server.url}${path}${query ? `?${query}` : ''}`, { headers });
          const text = await res.text();
          expect(res.status, `${op.name}: ${path}?${query} answered ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
          expect(documents(op, res.status), `${op.name} answered an undocumented ${res.status}`).toBe(true);
          if (res.status >= 400) {
            const json = JSON.parse(text);
            const errorObject = typeof json.error === 'string' ? json.errorDetail : json.error;
            expect(errorObject, `${op.name}: ${text.slice(0, 200)}`).toMatchObject({ type: expect.any(String), message: expect.any(String) });
          }
        }),
        { numRuns: RUNS },
      );
    }
  });
});
