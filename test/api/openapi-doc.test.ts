import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

describe('docs/openapi.json', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('postgres');
  });
  afterAll(() => server?.destroy());

  it('is the document the server serves (run `make docs` after changing the API)', async () => {
    const committed = JSON.parse(await fs.readFile('docs/openapi.json', 'utf8'));
    const served = (await server.api().get('/api/openapi.json')).body;
    expect(Object.keys(served.paths).sort()).toEqual(Object.keys(committed.paths).sort());
    expect(served.paths).toEqual(committed.paths);
    expect(served.components).toEqual(committed.components);
  });
});
