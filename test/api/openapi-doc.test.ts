import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dereference, validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';

type Operation = {
  parameters: Array<{ name: string; in: string; required: boolean; schema: any }>;
  responses: Record<string, any>;
  requestBody?: unknown;
  security?: unknown;
};

describe('docs/openapi.json', () => {
  let server: TestServer;
  let alice: TestUser;
  let served: any;
  beforeAll(async () => {
    server = await startTestServer('postgres');
    alice = await signedInUser(server, 'alice');
    served = (await server.api().get('/api/openapi.json')).body;
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
  });

  const operations = (): Array<[string, string, Operation]> =>
    Object.entries(served.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => [path, method, op] as [string, string, Operation]),
    );

  it('is the document the server serves (run `make docs` after changing the API)', async () => {
    const committed = JSON.parse(await fs.readFile('docs/openapi.json', 'utf8'));
    expect(Object.keys(served.paths).sort()).toEqual(Object.keys(committed.paths).sort());
    expect(served.paths).toEqual(committed.paths);
    expect(served.components).toEqual(committed.components);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(structuredClone(served));
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('writes the media entry once, as a component every media answer refers to', () => {
    const text = JSON.stringify(served.paths);
    expect(served.components.schemas.MediaEntry.properties.previewUrl).toMatchObject({ type: 'string' });
    expect(text).not.toContain('"categoryId"');
    for (const path of ['/api/mediafiles/{id}', '/api/audiolib_files/{id}']) {
      expect(served.paths[path].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/MediaEntry' });
    }
    expect(served.paths['/api/mediafiles'].get.responses['200'].content['application/json'].schema.properties.entries.items).toEqual({
      $ref: '#/components/schemas/MediaEntry',
    });
  });

  it('lists every status a route can answer', () => {
    for (const [path, method, op] of operations()) {
      const statuses = Object.keys(op.responses);
      const where = `${method.toUpperCase()} ${path}`;
      expect(statuses, where).toContain('500');
      expect(statuses, where).not.toContain('default');
      if (op.security && JSON.stringify(op.security).includes('authToken')) expect(statuses, where).toEqual(expect.arrayContaining(['401', '404']));
      if (op.requestBody && JSON.stringify(op.requestBody).includes('application/json')) {
        expect(statuses, where).toEqual(expect.arrayContaining(['400', '413', '415']));
      }
    }
    const upload = served.paths['/api/upload/media'].post.responses;
    expect(Object.keys(upload)).toEqual(expect.arrayContaining(['507', '514']));
    expect(Object.keys(served.paths['/api/mediafiles/{id}'].delete.responses)).toContain('403');
    // A shaped as in the editor API error answer is documented as such.
    const editingError = served.paths['/api/task/editing'].post.responses['400'].content['application/json'].schema;
    expect(editingError.properties).toMatchObject({
      taskId: { type: 'string' },
      error: { type: 'string' },
      errorDetail: { $ref: '#/components/schemas/ErrorObject' },
    });
  });

  it('documents headers, defaults and limits as the code has them', () => {
    const put = served.paths['/api/upload/media'].put;
    expect(put.parameters).toContainEqual(expect.objectContaining({ name: 'Content-Range', in: 'header', required: true }));
    for (const status of ['200', '206']) expect(put.responses[status].headers.Range).toBeDefined();
    expect(served.paths['/api/upload/project'].put.parameters).toContainEqual(expect.objectContaining({ name: 'Content-Range', in: 'header' }));
    const thumbnails = served.paths['/api/clip_thumbnails'].get.parameters;
    expect(thumbnails.find((p: { name: string }) => p.name === 'cached').schema.default).toBe('true');
    const count = served.paths['/api/mediafiles'].get.parameters.find((p: { name: string }) => p.name === 'count');
    expect(count.schema.default).toBe(20);
    expect(count.description).toMatch(/more than 1000 is taken as 1000/);
    const projectName = served.paths['/api/projects'].post.requestBody.content['application/json'].schema.properties.name;
    expect(projectName.maxLength).toBe(1000);
  });

  it('describes the answers the server really gives', async () => {
    const document = (await dereference(structuredClone(served))) as any;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const check = (path: string, method: string, status: number, body: unknown) => {
      const schema = document.paths[path][method].responses[String(status)].content['application/json'].schema;
      const valid = ajv.validate(schema, body);
      expect(valid, `${method} ${path} ${status}: ${ajv.errorsText()}`).toBe(true);
    };
    const folder = (await alice.api.post('/api/folders', { name: 'Docs' })).body.id;
    const file = await storedMedia(server, alice.id, { folderId: folder });
    const { id: uploadId } = (await alice.api.post('/api/upload/media', { size: 10, name: 'doc.mp4' })).body;

    check('/api/mediafiles/{id}', 'get', 200, (await alice.api.get(`/api/mediafiles/${file.id}`)).body);
    check('/api/mediafiles/{id}', 'get', 200, (await alice.api.get(`/api/mediafiles/${uploadId}`)).body);
    check('/api/mediafiles', 'get', 200, (await alice.api.get(`/api/mediafiles?folder=${folder}`)).body);
    check('/api/mediafiles', 'get', 200, (await alice.api.get('/api/mediafiles')).body);
    check('/api/mediafiles/{id}', 'get', 404, (await alice.api.get('/api/mediafiles/nothing')).body);
    const chunk = await alice.api.request('PUT', `/api/upload/media?id=${uploadId}`, { raw: new Uint8Array(4), headers: { 'content-range': 'bytes 0-3/10' } });
    check('/api/upload/media', 'put', 206, chunk.body);
    expect(chunk.headers.get('range')).toBe('bytes=0-3');
    check('/api/task/editing', 'post', 400, (await alice.api.post('/api/task/editing', { xtl_task: '<nope' })).body);
    check('/api/clip_thumbnails', 'get', 404, (await alice.api.get('/api/clip_thumbnails?id=nothing')).body);
    check('/api/users/{id}', 'get', 200, (await server.api().get(`/api/users/${alice.id}`)).body);
    check('/api/stat', 'get', 200, (await server.api().get('/api/stat')).body);
    const project = (await alice.api.post('/api/projects', { name: 'Doc', data: { a: 1 } })).body.id;
    check('/api/projects/{id}', 'get', 200, (await alice.api.get(`/api/projects/${project}`)).body);
    check('/api/projects', 'get', 200, (await alice.api.get('/api/projects?data=1')).body);
  });
});
