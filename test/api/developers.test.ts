import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestServer, type TestServer } from '../support/server.js';
import { drivers } from '../support/databases.js';

describe.each(drivers)('developer accounts admin API (%s)', (driver) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(driver);
  });
  afterAll(() => server?.destroy());
  const admin = () => server.api('test-admin-token');

  it('is closed without the admin token', async () => {
    expect((await server.api().get('/api/developers')).status).toBe(401);
    expect((await server.api('wrong').get('/api/developers')).status).toBe(401);
  });

  it('creates, reads, updates, rotates and deletes, never echoing secrets', async () => {
    const bucket = { awsBucketName: 'renders', awsAccessKey: 'AKIA1', awsSecreteKey: 's3cr3t', awsEndPoint: 'https://s3.example' };
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
    expect(shown.text).not.toContain('s3cr3t');
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

  it.runIf(driver === 'postgres')('stores API keys hashed and keeps the bucket secret out of answers', async () => {
    const { body } = await admin().post('/api/developers', { name: 'Hash check' });
    const client = new pg.Client({ connectionString: server.env.DATABASE_URL });
    await client.connect();
    const row = (await client.query('select * from developers where id = $1', [body.id])).rows[0];
    await client.end();
    expect(JSON.stringify(row)).not.toContain(body.apiKey);
    expect(row.api_key_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
