import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from './s3-object-store.js';

/** S3 errors are counted by operation for ops; "no such object" is an answer, not an error. */
describe('S3 error counting', () => {
  let server: http.Server;
  let endpoint: string;
  beforeAll(async () => {
    // A store that knows no object and fails every other request.
    server = http.createServer((req, res) => {
      res.writeHead(req.method === 'HEAD' ? 404 : 500, { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? '' : '<Error><Code>InternalError</Code><Message>down</Message></Error>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('counts failed requests by operation, and not the answer that an object does not exist', async () => {
    const errors: string[] = [];
    const store = new S3ObjectStore({
      endpoint,
      bucket: 'b',
      region: 'us-east-1',
      accessKey: 'a',
      secretKey: 's',
      forcePathStyle: true,
      onError: (op) => errors.push(op),
    });
    expect(await store.head('missing')).toBeUndefined();
    expect(errors).toEqual([]);
    await expect(store.put('k', Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow();
    expect(errors).toEqual(['PutObject']);
    store.destroy();
  });
});
