import { vi } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';

/**
 * Real databases for tests: a fresh Postgres database per call on the server at
 * TEST_DATABASE_URL (CI: 127.0.0.1:5432), or the embedded PGlite.
 */

export type TestDriver = 'postgres' | 'pglite';
export const drivers: TestDriver[] = ['postgres', 'pglite'];

export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** undefined for PGlite (the control plane then opens its embedded database). */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDatabase(driver: TestDriver): Promise<TestDatabase> {
  if (driver === 'pglite') return { url: undefined, drop: async () => {} };
  const name = `cutroom_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        // pg's pool.end() resolves once its clients are told to end, not once they are gone; a
        // forced drop racing their goodbye kills them with an error in this process. Wait first.
        await vi
          .waitFor(
            async () => {
              const { rows } = await client.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
              if (rows[0].n !== 0) throw new Error(`${rows[0].n} connections left`);
            },
            { timeout: 2000, interval: 25 },
          )
          .catch(() => {}); // dropped with force all the same
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
