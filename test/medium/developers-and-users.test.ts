import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BucketUnreachable } from '../../control-plane/src/integrator-systems/developer-bucket.js';
import { DevelopersService } from '../../control-plane/src/services/identity/developers.js';
import { IdentityService } from '../../control-plane/src/services/identity/identity.js';
import { startMediumServices, type MediumServices } from '../support/medium.js';

describe('developers and their users (services, Postgres)', () => {
  let services: MediumServices;
  /** With open registration off, as in production: users are made with a developer's apiKey. */
  let closed: IdentityService;

  beforeAll(async () => {
    services = await startMediumServices({ OPEN_REGISTRATION: 'false', ALLOW_ANONYMOUS: 'false' });
    closed = services.identity;
  });
  afterAll(() => services?.destroy());

  const developerOf = async (userId: string) =>
    (await services.database.db.selectFrom('users').select('developer_id').where('id', '=', userId).executeTakeFirstOrThrow()).developer_id;

  it('refuses users without an apiKey when registration is closed, and a wrong key with 401', async () => {
    await expect(closed.createUser({ name: 'x' })).rejects.toMatchObject({ status: 403 });
    await expect(closed.createUser({ apiKey: 'crk_wrong' })).rejects.toMatchObject({ status: 401 });
  });

  it("ties a user to the developer whose apiKey made it; another developer's key cannot claim it", async () => {
    const acme = await services.developers.create({ name: 'Acme' });
    const globex = await services.developers.create({ name: 'Globex' });
    const { id } = await closed.createUser({ apiKey: acme.apiKey, name: 'Acme user' });
    expect(await developerOf(id)).toBe(acme.id);
    await expect(closed.updateUser(id, { apiKey: globex.apiKey, name: 'Stolen' })).rejects.toMatchObject({ status: 404 });
    expect(await closed.getUser(id)).toEqual({ name: 'Acme user', data: '' });
    expect(await developerOf(id)).toBe(acme.id);
    await closed.updateUser(id, { apiKey: acme.apiKey, name: 'Renamed' });
    expect(await closed.getUser(id)).toEqual({ name: 'Renamed', data: '' });
  });

  it('lets a developer claim a user of no developer', async () => {
    const open = new IdentityService(services.database.db, services.developers, {
      allowAnonymous: true,
      openRegistration: true,
      tokenGraceMs: 1000,
      tokenBindWaitMs: 0,
      liveWindowMs: 60_000,
      tokenPolicy: services.config.tokenPolicy,
    });
    const { id } = await open.createUser({ name: 'Walk-in' });
    expect(await developerOf(id)).toBeNull();
    const acme = await services.developers.create({ name: 'Acme 2' });
    await closed.updateUser(id, { apiKey: acme.apiKey });
    expect(await developerOf(id)).toBe(acme.id);
  });

  it('stops the old apiKey at once when the key is rotated', async () => {
    const dev = await services.developers.create({ name: 'Rotating' });
    expect((await services.developers.authenticate(dev.apiKey)).id).toBe(dev.id);
    const rotated = await services.developers.rotateKey(dev.id);
    await expect(services.developers.authenticate(dev.apiKey)).rejects.toMatchObject({ status: 401 });
    expect((await services.developers.authenticate(rotated.apiKey)).id).toBe(dev.id);
    await expect(closed.createUser({ apiKey: dev.apiKey })).rejects.toMatchObject({ status: 401 });
  });

  it('stores API keys hashed, never as given', async () => {
    const dev = await services.developers.create({ name: 'Hash check' });
    const row = await services.database.db.selectFrom('developers').selectAll().where('id', '=', dev.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(dev.apiKey);
    expect(row.api_key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps a masked bucket secret on update, and saves no bucket the check refuses', async () => {
    const seen: string[] = [];
    const developers = new DevelopersService(services.database.db, async (bucket) => {
      seen.push(`${bucket.awsBucketName}:${bucket.awsSecreteKey}`);
      if (bucket.awsBucketName === 'unreachable') throw new BucketUnreachable('HTTP 403');
    });
    const bucket = { awsEndPoint: 'http://127.0.0.1:1', awsBucketName: 'renders', awsAccessKey: 'AK', awsSecreteKey: 'real-secret', awsRegion: 'us-east-1' };
    const { id } = await developers.create({ name: 'Bucketeer', outputS3Bucket: bucket });
    await developers.update(id, { outputS3Bucket: { ...bucket, awsBucketName: 'renders2', awsSecreteKey: '********' } });
    expect(seen).toEqual(['renders:real-secret', 'renders2:real-secret']);
    expect((await developers.row(id)).output_s3_bucket).toMatchObject({ awsBucketName: 'renders2', awsSecreteKey: 'real-secret' });
    expect((await developers.get(id)).outputS3Bucket).toMatchObject({ awsSecreteKey: '********' });
    await expect(developers.update(id, { outputS3Bucket: { ...bucket, awsBucketName: 'unreachable' } })).rejects.toMatchObject({ status: 400 });
    expect((await developers.row(id)).output_s3_bucket).toMatchObject({ awsBucketName: 'renders2' });
  });
});
