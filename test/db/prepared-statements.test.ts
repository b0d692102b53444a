import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { AuthTokensRepository } from '../../control-plane/src/db/auth-tokens-repository.js';
import { openDatabase, type Database } from '../../control-plane/src/db/database.js';
import { PreparedStatement } from '../../control-plane/src/db/prepared-statements.js';
import { hashSecret } from '../../control-plane/src/ids.js';
import { createTestDatabase, drivers, type TestDriver } from '../support/databases.js';

/** A migrated database of `driver` whose pool holds one connection, so every statement runs on it. */
async function oneConnection(driver: TestDriver): Promise<{ database: Database; drop(): Promise<void> }> {
  const target = await createTestDatabase(driver);
  const database = await openDatabase({ url: target.url, poolSize: 1 });
  await database.migrate();
  return {
    database,
    async drop() {
      await database.close();
      await target.drop();
    },
  };
}

describe('prepared statements', () => {
  it('a request’s token statement is prepared once on a pooled Postgres connection, and no other statement is', async () => {
    const { database, drop } = await oneConnection('postgres');
    try {
      const { db } = database;
      await db.insertInto('users').values({ id: 'u1', name: 'Ada' }).execute();
      await db
        .insertInto('auth_tokens')
        .values({ token_hash: hashSecret('token-1'), user_id: 'u1', open_sockets: 1, expires_at: new Date(Date.now() + 60_000) })
        .execute();
      const tokens = new AuthTokensRepository(db);
      for (let i = 0; i < 3; i++) {
        expect(await tokens.userWithListingVersions(hashSecret('token-1'))).toEqual({
          id: 'u1',
          developerId: null,
          listingVersions: { own: '0', shared: '0' },
        });
      }
      // A second repository (another service's) shares the statement and its name.
      expect(await new AuthTokensRepository(db).userWithListingVersions(hashSecret('token-1'))).toMatchObject({ id: 'u1' });
      expect(await tokens.userWithListingVersions(hashSecret('unknown'))).toBeUndefined();

      const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.name).toMatch(/^cutroom_/);
      expect(rows[0]!.statement).toMatch(/from auth_tokens join users/);
    } finally {
      await drop();
    }
  });

  it.each(drivers)('a statement whose table is missing fails, and runs once the table is there (%s)', async (driver) => {
    const { database, drop } = await oneConnection(driver);
    try {
      const { db } = database;
      const statement = new PreparedStatement(db, 1, (id: string) => sql<{ label: string }>`select label from later_table where id = ${id}`);
      await expect(statement.execute('a')).rejects.toMatchObject({ code: '42P01' });
      await sql`create table later_table (id text primary key, label text not null)`.execute(db);
      await sql`insert into later_table values ('a', 'first'), ('b', 'second')`.execute(db);
      expect((await statement.execute('a')).rows).toEqual([{ label: 'first' }]);
      expect((await statement.execute('b')).rows).toEqual([{ label: 'second' }]);
      // A changed text is a statement of its own on the same connection.
      const changed = new PreparedStatement(db, 1, (id: string) => sql<{ label: string }>`select upper(label) as label from later_table where id = ${id}`);
      expect((await changed.execute('b')).rows).toEqual([{ label: 'SECOND' }]);
      expect((await statement.execute('b')).rows).toEqual([{ label: 'second' }]);
    } finally {
      await drop();
    }
  });

  it('refuses an argument used other than as a parameter', async () => {
    const { database, drop } = await oneConnection('pglite');
    try {
      expect(() => new PreparedStatement(database.db, 1, (n: number) => sql<{ n: number }>`select ${sql.lit(String(n))} as n`)).toThrow(/not a parameter/);
    } finally {
      await drop();
    }
  });
});
