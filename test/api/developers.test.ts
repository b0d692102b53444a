import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';

describe('developer accounts admin API', () => {
  let server: TestServer;
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket('renders');
    await s3.createBucket('renders2');
    server = await startTestServer('postgres');
  });
  afterAll(async () => {
    await server?.destroy();
    await s3?.stop();
  });
  const admin = () => server.api('test-admin-token');

  it('is closed without the admin token', async () => {
    expect((await server.api().get('/api/developers')).status).toBe(401);
    expect((await server.api('wrong').get('/api/developers')).status).toBe(401);
  });

  it('creates, reads, updates, rotates and deletes, never echoing secrets', async () => {
    const bucket = s3.outputBucket('renders');
    const created = await admin().post('/api/developers', {
      name: 'Acme',
      callBackUrl: 'https://acme.example/cb',
      outputS3Bucket: bucket,
    });
    expect(created.status).toBe(200);
    const { id, apiKey } = created.body;
    expect(apiKey).toMatch(/^crk_[\w-]{43}$/);

    const shown = await admin().get(`/api/developers/${id}`);
    expect(shown.body).toMatchObject({ id, name: 'Acme', callBackUrl: 'https://acme.example/cb', fetchFileUrl: null });
    expect(shown.body.outputS3Bucket.awsSecreteKey).toBe('********');
    expect(shown.text).not.toContain(`"awsSecreteKey":"${bucket.awsSecreteKey}"`);
    expect(shown.text).not.toContain(apiKey);
    expect(apiKey.startsWith(shown.body.apiKeyPrefix)).toBe(true);

    // Sending the mask back keeps the stored secret; a user made with the key works.
    const updated = await admin().patch(`/api/developers/${id}`, {
      fetchFileUrl: 'https://acme.example/files',
      outputS3Bucket: { ...bucket, awsSecreteKey: '********', awsBucketName: 'renders2' },
    });
    expect(updated.body.fetchFileUrl).toBe('https://acme.example/files');
    expect(updated.body.outputS3Bucket.awsBucketName).toBe('renders2');
    expect((await server.api().post('/api/users', { apiKey })).status).toBe(200);

    const rotated = await admin().post(`/api/developers/${id}/rotate-key`);
    expect(rotated.body.apiKey).not.toBe(apiKey);
    expect((await server.api().post('/api/users', { apiKey })).status).toBe(401);
    expect((await server.api().post('/api/users', { apiKey: rotated.body.apiKey })).status).toBe(200);

    expect((await admin().get('/api/developers')).body.entries.map((d: { id: string }) => d.id)).toContain(id);
    expect((await admin().delete(`/api/developers/${id}`)).status).toBe(200);
    expect((await admin().get(`/api/developers/${id}`)).status).toBe(404);
  });

  it('saves an output bucket only when outputs can be written there with the keys given', async () => {
    const good = s3.outputBucket('renders');
    const refusals: Array<[string, object, RegExp]> = [
      [
        'unknown keys',
        { ...good, awsAccessKey: 'NOBODY' },
        /cannot write to bucket "renders" at http:\/\/127\.0\.0\.1:\d+ with the given keys: HTTP 403 InvalidAccessKeyId/,
      ],
      ['a missing bucket', { ...good, awsBucketName: 'no-such-bucket' }, /cannot write to bucket "no-such-bucket".*NoSuchBucket/],
      [
        'an endpoint nobody answers at',
        { ...good, awsEndPoint: 'http://127.0.0.1:9' },
        /cannot write to bucket "renders" at http:\/\/127\.0\.0\.1:9 with the given keys: .*ECONNREFUSED/,
      ],
    ];
    for (const [what, outputS3Bucket, message] of refusals) {
      const created = await admin().post('/api/developers', { name: 'Bucketeer', outputS3Bucket });
      expect(created.status, what).toBe(400);
      expect(created.body.error.message, what).toMatch(/^outputS3Bucket: /);
      expect(created.body.error.message, what).toMatch(message);
    }
    const { id } = (await admin().post('/api/developers', { name: 'Bucketeer', outputS3Bucket: good })).body;
    const patched = await admin().patch(`/api/developers/${id}`, { outputS3Bucket: { ...good, awsBucketName: 'no-such-bucket', awsSecreteKey: '********' } });
    expect(patched.status).toBe(400);
    expect((await admin().get(`/api/developers/${id}`)).body.outputS3Bucket.awsBucketName).toBe('renders');
    // The check leaves nothing behind in the bucket.
    expect(await s3.keys('renders', '.cutroom-check/')).toEqual([]);
  });
});
