import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
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
});
