import fs from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import type { DB } from './schema.js';
import { migrations } from './migrations/index.js';
import type { PoolStats } from '../metrics.js';
import { preparedName } from './prepared-statements.js';

export type DriverName = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** A postgres:// URL; when absent the embedded PGlite is used. */
  url?: string | undefined;
  /** Where PGlite keeps its files; absent means in memory (tests). */
  pgliteDir?: string | undefined;
  poolSize?: number;
  /** An idle pooled connection failed (the server restarted): logged, the pool reconnects. */
  onIdleError?: (error: Error) => void;
}

/**
 * UTF-8 text as a query parameter. node-postgres sends a Buffer as it is (binary format, which
 * for text is the UTF-8 bytes), sparing megabytes a decode here and an encode in the driver;
 * PGlite takes text parameters only as strings.
 */
export type Utf8Param = (bytes: Buffer) => Buffer | string;

export interface Database {
  db: Kysely<DB>;
  driver: DriverName;
  utf8Param: Utf8Param;
  migrate(): Promise<void>;
  /** True when every migration this build knows of has been applied. */
  isMigrated(): Promise<boolean>;
  /** The Postgres pool's connections right now (undefined for PGlite). */
  poolStats(): PoolStats | undefined;
  close(): Promise<void>;
}

/** The PGlite major line; its data directories do not open across lines. */
const PGLITE_LINE = '0.4';

// int8 (bigint) columns carry byte sizes and 100 ns durations: all below 2^53, so numbers are safe.
const INT8_OID = 20;
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * A pooled Postgres connection that prepares the statements `prepared-statements.ts` makes: each
 * is sent under its name, which node-postgres parses once per connection and then only binds
 * and runs. Every other statement is sent unnamed, as Kysely sends it.
 */
class PreparingClient extends pg.Client {
  // Kysely calls query(text, values); the other forms (a config object, a cursor) pass through.
  override query(config: unknown, ...rest: unknown[]): any {
    const name = typeof config === 'string' ? preparedName(config) : undefined;
    const query: (...args: unknown[]) => unknown = super.query;
    return name === undefined ? query.call(this, config, ...rest) : query.call(this, { name, text: config, values: rest[0] }, ...rest.slice(1));
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let dialect: Dialect;
  let driver: DriverName;
  let poolStats: () => PoolStats | undefined = () => undefined;
  if (options.url) {
    driver = 'postgres';
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, types: pgTypes, Client: PreparingClient });
    // Without a listener an idle client's error (e.g. the server restarting) would crash the process.
    pool.on('error', (error) => options.onIdleError?.(error));
    // So would a client's that is checked out when the server goes (between two statements of a
    // transaction): its queries fail on their own, and the pool drops it when it is released.
    pool.on('connect', (client) => {
      client.on('error', (error) => options.onIdleError?.(error));
    });
    dialect = new PostgresDialect({ pool });
    const size = options.poolSize ?? 10;
    poolStats = () => ({ size, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  } else {
    driver = 'pglite';
    const client = options.pgliteDir ? await openPgliteDir(options.pgliteDir) : new PGlite();
    await client.waitReady;
    dialect = new PGliteDialect(client);
  }
  const db = new Kysely<DB>({ dialect });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });

  return {
    db,
    driver,
    utf8Param: driver === 'postgres' ? (bytes) => bytes : (bytes) => bytes.toString('utf8'),
    async migrate() {
      // Kysely's Postgres adapter holds an advisory lock for the whole run, so replicas
      // starting together apply each migration once.
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error')?.migrationName;
        throw new Error(`migration ${failed ?? '(unknown)'} failed: ${String((error as Error).message ?? error)}`);
      }
    },
    async isMigrated() {
      const all = await migrator.getMigrations();
      return all.every((m) => m.executedAt !== undefined);
    },
    poolStats: () => poolStats(),
    async close() {
      await db.destroy();
    },
  };
}

async function openPgliteDir(dir: string): Promise<PGlite> {
  await fs.mkdir(dir, { recursive: true });
  const marker = path.join(dir, 'CUTROOM_PGLITE_LINE');
  const existing = await fs.readFile(marker, 'utf8').catch(() => undefined);
  const entries = await fs.readdir(dir);
  if (existing === undefined && entries.length > 0) {
    throw new Error(`${dir} holds files but no ${path.basename(marker)}; it is not a Cutroom PGlite directory`);
  }
  if (existing !== undefined && existing.trim() !== PGLITE_LINE) {
    throw new Error(
      `${dir} was written by PGlite ${existing.trim()} and this build uses ${PGLITE_LINE}; ` +
        'export it with the older build (pg_dump) and import it into a new DATA_DIR',
    );
  }
  if (existing === undefined) await fs.writeFile(marker, `${PGLITE_LINE}\n`);
  const client = new PGlite(path.join(dir, 'pgdata'));
  await client.waitReady;
  return client;
}

/** A cheap round trip, for readiness checks. */
export async function ping(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
