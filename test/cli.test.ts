import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from './support/s3-server.js';

const run = promisify(execFile);
const cli = path.resolve('control-plane/dist/cli.js');

describe('the cutroom CLI on a real database', () => {
  let database: TestDatabase;
  let s3: TestS3Server;
  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    s3 = await startS3Server();
    await s3.createBucket('out');
  });
  afterAll(async () => {
    await database?.drop();
    await s3?.stop();
  });

  const cutroom = async (...args: string[]) => {
    const { stdout } = await run('node', [cli, ...args], {
      env: { ...process.env, DATABASE_URL: database.url!, LOG_LEVEL: 'silent' },
    });
    return JSON.parse(stdout);
  };

  it('creates, shows, updates, rotates and deletes developer accounts', async () => {
    const created = await cutroom('developers', 'create', '--name', 'Acme', '--callback-url', 'https://acme.example/cb');
    expect(created.apiKey).toMatch(/^crk_/);
    const shown = await cutroom('developers', 'show', created.id);
    expect(shown).toMatchObject({ name: 'Acme', callBackUrl: 'https://acme.example/cb' });

    const updated = await cutroom(
      'developers',
      'update',
      created.id,
      '--s3-bucket',
      'out',
      '--s3-endpoint',
      s3.endpoint,
      '--s3-access-key',
      S3RVER_CREDENTIALS.accessKey,
      '--s3-secret-key',
      S3RVER_CREDENTIALS.secretKey,
      '--callback-url',
      '',
    );
    expect(updated.callBackUrl).toBeNull();
    expect(updated.outputS3Bucket).toMatchObject({ awsBucketName: 'out', awsSecreteKey: '********' });

    const rotated = await cutroom('developers', 'rotate-key', created.id);
    expect(rotated.apiKey).not.toBe(created.apiKey);
    expect((await cutroom('developers', 'list')).map((d: { id: string }) => d.id)).toContain(created.id);
    expect(await cutroom('developers', 'delete', created.id)).toEqual({ deleted: created.id });
  });

  it('runs as `npx cutroom` through the workspace bin link', async () => {
    const { stdout } = await run('npx', ['cutroom', 'help'], { env: { ...process.env } });
    expect(stdout).toMatch(/usage: cutroom <command>/);
  });

  it('explains bad input on stderr with exit code 2', async () => {
    const failure = await run('node', [cli, 'developers', 'create', '--name', 'X', '--callback-url', 'nope'], {
      env: { ...process.env, DATABASE_URL: database.url! },
    }).catch((e) => e);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(/callBackUrl: must be an http\(s\) URL/);

    // Ids may begin with '-': they are ids, not flags.
    const dashed = await run('node', [cli, 'developers', 'show', '-zMaNFXh4cEcA5K0niWvGQ'], {
      env: { ...process.env, DATABASE_URL: database.url!, LOG_LEVEL: 'silent' },
    }).catch((e) => e);
    expect(dashed.stderr).toMatch(/no developer -zMaNFXh4cEcA5K0niWvGQ/);

    const { id } = await cutroom('developers', 'create', '--name', 'Y');
    const badBucket = await run(
      'node',
      [
        cli,
        'developers',
        'update',
        id,
        '--s3-bucket',
        'missing',
        '--s3-endpoint',
        s3.endpoint,
        '--s3-access-key',
        S3RVER_CREDENTIALS.accessKey,
        '--s3-secret-key',
        'x',
      ],
      {
        env: { ...process.env, DATABASE_URL: database.url!, LOG_LEVEL: 'silent' },
      },
    ).catch((e) => e);
    expect(badBucket.code, badBucket.stderr).toBe(2);
    expect(badBucket.stderr).toMatch(/outputS3Bucket: cannot write to bucket "missing" .*NoSuchBucket/);
    expect((await cutroom('developers', 'show', id)).outputS3Bucket).toBeNull();

    const badEnv = await run('node', [cli, 'developers', 'list'], { env: { ...process.env, PORT: 'x' } }).catch((e) => e);
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/PORT="x" is not valid/);
  });
});
