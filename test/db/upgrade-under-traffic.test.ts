import { setTimeout as pause } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations, PREVIOUS_RELEASE_LAST_MIGRATION } from '../../control-plane/src/db/migrations/index.js';
import { openDatabase } from '../../control-plane/src/db/database.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor } from '../support/editor-client.js';
import { ApiClient } from '../support/api-client.js';

/**
 * A rolling upgrade from the previous release's schema while editors work: the schema is at the
 * previous release's last migration and a replica serves it; the new migrations run (as the
 * chart's migration Job does) under that traffic; a replica of the new release joins; the old one
 * leaves through a graceful drain. No request may fail, nothing written may be lost, and the
 * migrations may only add to what the previous release reads.
 *
 * The replica serving the old schema runs this release's code with MIGRATE_ON_START=false, on
 * the routes the previous release had: what it proves is that those routes keep working on both
 * schemas and across the migration, not that the previous release's own build does.
 */

type Column = { table: string; column: string; type: string; nullable: string; default_: string | null };

async function schemaColumns(db: Kysely<any>): Promise<Column[]> {
  const { rows } = await sql<Column>`
    select table_name as "table", column_name as "column", data_type as "type", is_nullable as "nullable", column_default as "default_"
    from information_schema.columns where table_schema = current_schema() and table_name not like 'kysely_%'
    order by table_name, column_name`.execute(db);
  return rows;
}

describe('an upgrade from the previous release under traffic', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const server of servers.slice(1).reverse()) await server.stop().catch(() => {});
    await servers[0]?.destroy();
  });

  it('applies the new migrations and rolls the replicas without a failed request or a lost write', async () => {
    const newMigrations = Object.keys(migrations).filter((name) => name > PREVIOUS_RELEASE_LAST_MIGRATION);
    const signing = { SIGNING_SECRET: 'shared-signing-secret-of-the-install' };
    const old = await startTestServer('postgres', { ...signing, MIGRATE_ON_START: 'false' });
    servers.push(old);
    // The database as the previous release left it.
    const database = await openDatabase({ url: old.env.DATABASE_URL });
    const migrator = new Migrator({ db: database.db as unknown as Kysely<any>, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo(PREVIOUS_RELEASE_LAST_MIGRATION)).error).toBeUndefined();
    const before = await schemaColumns(database.db as unknown as Kysely<any>);
    expect((await old.api().get('/readyz')).status).toBe(newMigrations.length ? 503 : 200);

    // Editors at work: each saves its project again and again and reads it back, through whichever
    // replicas are in the load balancer's rotation at that moment.
    const rotation: TestServer[] = [old];
    const failures: string[] = [];
    const saved = new Map<string, number>();
    let running = true;
    const editors = await Promise.all([0, 1, 2, 3].map(() => connectEditor(old.wsUrl)));
    const work = editors.map(async (editor, n) => {
      const client = () => new ApiClient(rotation[Math.floor(Math.random() * rotation.length)]!.url, editor.authToken);
      const created = await client().post('/api/projects', { name: `Project ${n}`, data: { version: 0 }, thumbnail: '' });
      if (created.status !== 200) throw new Error(`create: ${created.status} ${created.text}`);
      const id = created.body.id as string;
      for (let version = 1; running; version++) {
        try {
          const saveResponse = await client().patch(`/api/projects/${id}`, { data: { version, clips: Array.from({ length: 50 }, (_, i) => ({ i, n })) } });
          if (saveResponse.status !== 200) failures.push(`save ${saveResponse.status} ${saveResponse.text}`);
          else saved.set(id, version);
          const read = await client().get(`/api/projects/${id}`);
          if (read.status !== 200) failures.push(`read ${read.status} ${read.text}`);
          const list = await client().get('/api/projects');
          if (list.status !== 200) failures.push(`list ${list.status} ${list.text}`);
        } catch (error) {
          failures.push(`request failed: ${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`);
        }
      }
      return id;
    });
    const savesSoFar = () => [...saved.values()].reduce((a, b) => a + b, 0);
    const waitForSaves = async (count: number) => {
      const start = savesSoFar();
      await vi.waitFor(
        () => {
          if (failures.length > 10) return; // reported below, at once
          expect(savesSoFar()).toBeGreaterThanOrEqual(start + count);
        },
        { timeout: 60_000, interval: 20 },
      );
      // Editors whose saves keep failing never get there: say why instead of waiting.
      if (failures.length > 10) {
        running = false;
        throw new Error(`requests fail: ${failures.slice(0, 3).join('; ')}`);
      }
    };

    await waitForSaves(20);
    // The migration Job: the new release's migrations while the old replica serves.
    await database.migrate();
    expect(await database.isMigrated()).toBe(true);
    await waitForSaves(20);

    // The new release's replica starts on the migrated schema, becomes ready, and joins.
    const fresh = await old.replica({ ...signing, MIGRATE_ON_START: 'false' });
    servers.push(fresh);
    expect((await fresh.api().get('/readyz')).status).toBe(200);
    rotation.push(fresh);
    await waitForSaves(20);

    // The old replica leaves: out of the rotation first (its preStop delay, while endpoints
    // update), then a graceful stop that finishes what it has in flight.
    rotation.splice(rotation.indexOf(old), 1);
    await pause(200);
    await old.stop();
    await waitForSaves(20);
    running = false;
    const ids = await Promise.all(work);
    await Promise.all(editors.map((editor) => editor.close()));

    expect(failures).toEqual([]);
    // Every acknowledged save is there, read through the new replica.
    const reader = new ApiClient(fresh.url, editors[0]!.authToken);
    for (const [n, id] of ids.entries()) {
      const project = await new ApiClient(fresh.url, editors[n]!.authToken).get(`/api/projects/${id}`);
      expect(project.status).toBe(200);
      expect(project.body.data.version).toBe(saved.get(id));
    }
    expect((await reader.get(`/api/projects/${ids[1]}`)).status).toBe(404);

    // Expand only: every column the previous release had is still there, as it was.
    const after = await schemaColumns(database.db as unknown as Kysely<any>);
    const key = (c: Column) => `${c.table}.${c.column}`;
    const now = new Map(after.map((c) => [key(c), c]));
    const changed = before.filter((c) => JSON.stringify(now.get(key(c))) !== JSON.stringify(c)).map(key);
    expect(changed).toEqual([]);
    // Columns added to tables the previous release writes need a default or must allow null.
    const oldTables = new Set(before.map((c) => c.table));
    const required = after.filter((c) => oldTables.has(c.table) && !before.some((b) => key(b) === key(c)) && c.nullable === 'NO' && c.default_ === null);
    expect(required.map(key)).toEqual([]);
    await database.close();
  });
});
