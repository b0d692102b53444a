import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { DB, ProjectImportsTable } from './schema.js';

export type ProjectImportRow = Selectable<ProjectImportsTable>;
export type NewProjectImportRow = Insertable<ProjectImportsTable>;

/** What the unpack made of an import, recorded as it moves on to import_media. */
export interface UnpackedImport {
  mediaIds: string[];
  /** JSON text, kept as written. */
  timeline: string;
  error: string;
  expiresAt: Date;
}

/**
 * Queries of project import sessions. Every change of stage is guarded by the stage it leaves,
 * so replicas racing on one import change it once. `db` parameters take a transaction in progress.
 */
export class ProjectImportsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: NewProjectImportRow): Promise<void> {
    await this.db.insertInto('project_imports').values(row).execute();
  }

  find(id: string): Promise<ProjectImportRow | undefined> {
    return this.db.selectFrom('project_imports').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The owner's session, while it has not expired. */
  findCurrent(ownerId: string, id: string): Promise<ProjectImportRow | undefined> {
    return this.db
      .selectFrom('project_imports')
      .selectAll()
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
  }

  /** Sessions past their lifetime. */
  expired(): Promise<ProjectImportRow[]> {
    return this.db
      .selectFrom('project_imports')
      .selectAll()
      .where('expires_at', '<', sql<Date>`now()`)
      .execute();
  }

  /** Sessions whose media are going through ingest (not failed). */
  importingMedia(): Promise<ProjectImportRow[]> {
    return this.db.selectFrom('project_imports').selectAll().where('stage', '=', 'import_media').where('failed', '=', false).execute();
  }

  /** Sessions in progress (not ready, not failed, not expired). */
  async activeCount(): Promise<number> {
    const row = await this.db
      .selectFrom('project_imports')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('failed', '=', false)
      .where('stage', '!=', 'ready')
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirstOrThrow();
    return row.count;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('project_imports').where('id', '=', id).execute();
  }

  async deleteOwn(ownerId: string, id: string): Promise<void> {
    await this.db.deleteFrom('project_imports').where('id', '=', id).where('owner_id', '=', ownerId).execute();
  }

  // ---- the upload ----

  /** The session's size, stage and failure, its row locked until the transaction ends. */
  lockForUpload(trx: Kysely<DB>, id: string): Promise<Pick<ProjectImportRow, 'size_bytes' | 'stage' | 'failed'> | undefined> {
    return trx.selectFrom('project_imports').select(['size_bytes', 'stage', 'failed']).where('id', '=', id).forUpdate().executeTakeFirst();
  }

  /** The contiguous prefix received, and the upload's percent of the size, while it uploads. */
  async setReceived(trx: Kysely<DB>, id: string, receivedBytes: number): Promise<void> {
    await trx
      .updateTable('project_imports')
      .set((eb) => ({
        received_bytes: receivedBytes,
        progress: sql<number>`floor(${receivedBytes}::numeric * 100 / greatest(${eb.ref('size_bytes')}, 1))::int`,
        updated_at: sql`now()`,
      }))
      .where('id', '=', id)
      .where('stage', '=', 'upload')
      .execute();
  }

  /** The whole zip is in: the unpack task takes over, until `expiresAt`. */
  async startUnpack(trx: Kysely<DB>, id: string, taskId: string, expiresAt: Date): Promise<void> {
    await trx
      .updateTable('project_imports')
      .set({ stage: 'unpack', progress: 0, task_id: taskId, expires_at: expiresAt, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  // ---- the unpack ----

  async setUnpackProgress(id: string, progress: number): Promise<void> {
    await this.db
      .updateTable('project_imports')
      .set({ progress, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('stage', '=', 'unpack')
      .where('failed', '=', false)
      .execute();
  }

  async setFolder(id: string, folderId: string): Promise<void> {
    await this.db.updateTable('project_imports').set({ folder_id: folderId }).where('id', '=', id).execute();
  }

  /** The session's stage and failure, its row locked until the transaction ends. */
  lockStage(trx: Kysely<DB>, id: string): Promise<Pick<ProjectImportRow, 'stage' | 'failed'> | undefined> {
    return trx.selectFrom('project_imports').select(['stage', 'failed']).where('id', '=', id).forUpdate().executeTakeFirst();
  }

  /** The unpack is done: the media it made go through ingest. */
  async startMediaImport(trx: Kysely<DB>, id: string, unpacked: UnpackedImport): Promise<void> {
    await trx
      .updateTable('project_imports')
      .set({
        stage: 'import_media',
        progress: 0,
        media_ids: JSON.stringify(unpacked.mediaIds),
        timeline: unpacked.timeline,
        error: unpacked.error,
        expires_at: unpacked.expiresAt,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  // ---- the end ----

  /** import_media → ready, the project made; false when another replica got there first. */
  async markReady(id: string, error: string, expiresAt: Date): Promise<boolean> {
    const done = await this.db
      .updateTable('project_imports')
      .set({ stage: 'ready', progress: 100, error, timeline: null, expires_at: expiresAt, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('stage', '=', 'import_media')
      .executeTakeFirst();
    return done.numUpdatedRows > 0n;
  }

  /** Fails the import for good, forgetting what it made; false when it had failed or was ready already. */
  async markFailed(id: string, message: string, expiresAt: Date): Promise<boolean> {
    const updated = await this.db
      .updateTable('project_imports')
      .set({ failed: true, error: message, media_ids: '[]', folder_id: null, timeline: null, expires_at: expiresAt, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('failed', '=', false)
      .where('stage', '!=', 'ready')
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }
}
