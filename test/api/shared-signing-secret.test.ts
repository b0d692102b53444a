import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * In production without SIGNING_SECRET, the replicas generate one signing key together and keep
 * it in the database: a URL one replica signs, another accepts, also after restarts.
 */
describe('the signing secret of a production install without SIGNING_SECRET', () => {
  let first: TestServer;
  let second: TestServer | undefined;

  beforeAll(async () => {
    first = await startTestServer('postgres', { PROFILE: 'production', STORAGE: 'fs' });
  });
  afterAll(async () => {
    await second?.stop();
    await first.destroy();
  });

  const signedQuery = (server: TestServer) =>
    Object.fromEntries(
      new URLSearchParams(server.controlPlane.services.signer.sign({ method: 'GET', key: 'media/a.mp4', expiresAtS: Math.floor(Date.now() / 1000) + 600 })),
    );

  it('is the same on every replica and survives a restart', async () => {
    // Each replica on a machine of its own: nothing shared but the database.
    const ownDataDir = async () => ({ DATA_DIR: await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-replica-')) });
    second = await first.replica(await ownDataDir());
    const query = signedQuery(first);
    expect(second.controlPlane.services.signer.verify('GET', 'media/a.mp4', query)).toMatchObject({ ok: true });
    expect(second.controlPlane.services.signer.verify('GET', 'media/b.mp4', query)).toMatchObject({ ok: false, reason: 'bad_signature' });
    await second.stop();
    second = await first.replica(await ownDataDir());
    expect(second.controlPlane.services.signer.verify('GET', 'media/a.mp4', signedQuery(first))).toMatchObject({ ok: true });
  });
});
