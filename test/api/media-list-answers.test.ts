import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { drivers } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';

/**
 * `GET /api/mediafiles` reuses an answer only while the library it shows is unchanged: any write
 * of the owner's media or folders, through the API, another replica or straight in the
 * database, gives the next request a fresh answer.
 */
describe.each(drivers)('reused media list answers (%s)', (driver) => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    server = await startTestServer(driver);
    alice = await signedInUser(server, 'alice');
    bob = await signedInUser(server, 'bob');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await bob?.editor.close();
    await server?.destroy();
  });

  const names = async (user: TestUser, query = '') => {
    const answer = await user.api.get(`/api/mediafiles${query}`);
    expect(answer.status).toBe(200);
    return (answer.body.entries as Array<{ name: string }>).map((e) => e.name);
  };

  it('answers a repeated request without listing again, and lists again after any write', async () => {
    const { media } = server.controlPlane.services;
    const { db } = server.controlPlane.database;
    const listed = vi.spyOn(media, 'list');
    const first = await storedMedia(server, alice.id, { name: 'first.mp4' });
    expect(await names(alice)).toEqual(['first.mp4']);
    expect(await names(alice)).toEqual(['first.mp4']);
    expect(listed).toHaveBeenCalledTimes(1);

    // Another user's write leaves alice's answer as it is.
    await storedMedia(server, bob.id, { name: 'bob.mp4' });
    expect(await names(alice)).toEqual(['first.mp4']);
    expect(listed).toHaveBeenCalledTimes(1);

    // A write straight in the database (as another replica, or the previous release, makes it).
    await db.updateTable('media').set({ name: 'renamed.mp4' }).where('id', '=', first.id).execute();
    expect(await names(alice)).toEqual(['renamed.mp4']);
    // A transaction that rolls back changes nothing, and the answer stays.
    await db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('media').set({ name: 'never.mp4' }).where('id', '=', first.id).execute();
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const before = listed.mock.calls.length;
    expect(await names(alice)).toEqual(['renamed.mp4']);
    expect(listed.mock.calls.length).toBe(before);

    // Through the API: a folder made, a file deleted.
    expect((await alice.api.post('/api/folders', { name: 'Clips' })).status).toBe(200);
    expect(await names(alice)).toEqual(['Clips', 'renamed.mp4']);
    expect((await alice.api.delete(`/api/mediafiles/${first.id}`)).status).toBe(200);
    expect(await names(alice)).toEqual(['Clips']);

    // Shared test media show at every user's root.
    await storedMedia(server, null, { name: 'shared.mp4' });
    expect(await names(alice)).toEqual(['Clips', 'shared.mp4']);
    await db.deleteFrom('media').where('owner_id', 'is', null).execute();
    expect(await names(alice)).toEqual(['Clips']);
    listed.mockRestore();
  });

  it("changes the owner's version in each transaction that writes their media or folders", async () => {
    const { db } = server.controlPlane.database;
    const version = async () =>
      (await sql<{ version: string }>`select version::text from media_list_versions where owner_key = ${alice.id}`.execute(db)).rows[0]?.version;
    const v0 = await version();
    const rows = await Promise.all([1, 2, 3].map((i) => storedMedia(server, alice.id, { name: `bulk ${i}.mp4` })));
    const v1 = await version();
    expect(v1).not.toBe(v0);
    await db.transaction().execute(async (trx) => {
      for (const row of rows) await trx.updateTable('media').set({ progress: 50 }).where('id', '=', row.id).execute();
    });
    const v2 = await version();
    expect(BigInt(v2!)).toBeGreaterThan(BigInt(v1!));
    // A folder is part of the listing too.
    await db
      .insertInto('folders')
      .values({ id: `f-${v2}`, owner_id: alice.id, parent_id: null, name: 'F', create_time_ms: Date.now() })
      .execute();
    expect(BigInt((await version())!)).toBeGreaterThan(BigInt(v2!));
  });

  it('lists on a schema from before the versions (a rolling upgrade not yet migrated)', async () => {
    const { db } = server.controlPlane.database;
    await storedMedia(server, bob.id, { name: 'before.mp4' });
    await sql`alter table media_list_versions rename to media_list_versions_away`.execute(db);
    try {
      expect(await names(bob)).toContain('before.mp4');
      expect(await names(bob)).toContain('before.mp4');
    } finally {
      await sql`alter table media_list_versions_away rename to media_list_versions`.execute(db);
    }
  });
});

describe('reused media list answers across replicas', () => {
  let first: TestServer;
  let second: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    first = await startTestServer('postgres');
    second = await first.replica();
    user = await signedInUser(first, 'carol');
  });
  afterAll(async () => {
    await user?.editor.close();
    await second?.stop();
    await first?.destroy();
  });

  it('answers what another replica wrote', async () => {
    const row = await storedMedia(first, user.id, { name: 'one.mp4' });
    const onFirst = () => first.api(user.token).get('/api/mediafiles');
    const onSecond = () => second.api(user.token).get('/api/mediafiles');
    expect((await onFirst()).body.total_count).toBe(1);
    expect((await onSecond()).body.total_count).toBe(1);
    expect((await second.api(user.token).delete(`/api/mediafiles/${row.id}`)).status).toBe(200);
    expect((await onFirst()).body).toEqual({ total_count: 0, entries: [] });
    const folder = await first.api(user.token).post('/api/folders', { name: 'Made on the first' });
    expect(folder.status).toBe(200);
    expect((await onSecond()).body.entries.map((e: { name: string }) => e.name)).toEqual(['Made on the first']);
  });
});
