import { describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { drivers } from '../support/databases.js';
import { migrations } from '../../control-plane/src/db/migrations/index.js';
import { ProjectsRepository } from '../../control-plane/src/db/projects-repository.js';
import { chunkHash } from '../../control-plane/src/project-data/chunks.js';
import { openDatabase } from '../../control-plane/src/db/database.js';
import { createTestDatabase } from '../support/databases.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

describe('migrations', () => {
  it('apply once when two replicas start at the same moment', async () => {
    const target = await createTestDatabase('postgres');
    const replicas = await Promise.all([openDatabase({ url: target.url }), openDatabase({ url: target.url })]);
    await Promise.all(replicas.map((r) => r.migrate()));
    for (const replica of replicas) expect(await replica.isMigrated()).toBe(true);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(replicas[0]!.db);
    const { migrations } = await import('../../control-plane/src/db/migrations/index.js');
    expect(rows[0]!.n).toBe(Object.keys(migrations).length);
    await Promise.all(replicas.map((r) => r.close()));
    await target.drop();
  });

  it('keep PGlite data on disk across restarts and refuse a foreign directory', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-pglite-'));
    const first = await openDatabase({ pgliteDir: path.join(dir, 'db') });
    await first.migrate();
    await first.db.insertInto('users').values({ id: 'kept-user', name: 'Kept' }).execute();
    await first.close();

    const second = await openDatabase({ pgliteDir: path.join(dir, 'db') });
    await second.migrate();
    const row = await second.db.selectFrom('users').select('name').where('id', '=', 'kept-user').executeTakeFirst();
    expect(row?.name).toBe('Kept');
    await second.close();

    await fs.mkdir(path.join(dir, 'other'));
    await fs.writeFile(path.join(dir, 'other', 'something'), 'x');
    await expect(openDatabase({ pgliteDir: path.join(dir, 'other') })).rejects.toThrow(/not a Cutroom PGlite directory/);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it.each(drivers)('move project data into chunks byte for byte (%s)', async (driver) => {
    const target = driver === 'postgres' ? await createTestDatabase('postgres') : undefined;
    const database = await openDatabase({ url: target?.url });
    const db = database.db as unknown as Kysely<any>;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0006_uploads')).error).toBeUndefined();
    const data = '{ "clips" : [ {"title": "é — ✂ \\u00e9", "n": 1.0} ] }';
    await db.insertInto('users').values({ id: 'u1', name: 'Owner' }).execute();
    await db
      .insertInto('projects')
      .values({ id: 'p1', owner_id: 'u1', name: 'Old', data_json: data, thumbnail: '', create_ms: 1, modif_ms: 2, media_digest: '' })
      .execute();
    await database.migrate();
    const project = await new ProjectsRepository(database.db, database.utf8Param).find('p1', 'u1');
    expect(project).toMatchObject({ name: 'Old', createMs: 1, modifMs: 2, dataJson: data });
    // Named as the service names chunks, so the next autosave of the same data writes nothing new.
    const chunks = await db.selectFrom('projects').select('data_chunks').where('id', '=', 'p1').executeTakeFirstOrThrow();
    expect(chunks.data_chunks).toEqual([chunkHash(Buffer.from(data))]);
    await database.close();
    await target?.drop();
  });
});
