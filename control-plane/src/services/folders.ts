import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { ancestorsOf, findOwnFolder, subtreeOf } from '../db/media-repository.js';
import { badRequest, forbidden, notFound } from '../http/errors.js';
import { newId } from '../ids.js';
import { readOnlyReason, type MediaService } from './media.js';
import type { ObjectDeletionQueue } from './object-deletion-queue.js';

/** The id that names the root folder in paths and bodies. */
export const ROOT_FOLDER = 'root';

/**
 * A user's folders: nested, private to their owner (another user's folder answers 404 like a
 * missing one), deleted recursively with every file inside and its stored bytes. Changes to a
 * user's tree run under a per-user lock, so two concurrent moves cannot build a cycle.
 */
export class FolderService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly media: MediaService,
    private readonly deletions: ObjectDeletionQueue,
  ) {}

  async create(ownerId: string, name: string, parent: string | null): Promise<{ id: string }> {
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      await lockTree(trx, ownerId);
      if (parent !== null && !(await findOwnFolder(trx, ownerId, parent))) throw notFound(`no folder ${parent}`);
      await trx
        .insertInto('folders')
        .values({ id, owner_id: ownerId, parent_id: parent, name, create_time_ms: Date.now() })
        .execute();
    });
    return { id };
  }

  /** Renames a folder; without a name, only checks that it is the user's (the seed makes `name` optional). */
  async rename(ownerId: string, id: string, name: string | undefined): Promise<void> {
    if (name === undefined) {
      if (!(await findOwnFolder(this.db, ownerId, id))) throw notFound(`no folder ${id}`);
      return;
    }
    const result = await this.db
      .updateTable('folders')
      .set({ name, updated_at: new Date() })
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound(`no folder ${id}`);
  }

  /**
   * Deletes a folder, its sub-folders and every file in them, with their stored objects.
   * Refuses with `used_in_projects` when a project mentions any of those files, unless `force`.
   */
  async delete(ownerId: string, id: string, force: boolean): Promise<void> {
    if (!force) {
      // Asked before the transaction: the usage index answers through its own connection.
      const subtree = await subtreeOf(this.db, ownerId, id);
      if (subtree.length === 0) throw notFound(`no folder ${id}`);
      const inside = await this.db.selectFrom('media').select('id').where('owner_id', '=', ownerId).where('folder_id', 'in', subtree).execute();
      await this.media.assertUnused(ownerId, inside.map((r) => r.id));
    }
    const queued = await this.db.transaction().execute(async (trx) => {
      await lockTree(trx, ownerId);
      const folderIds = await subtreeOf(trx, ownerId, id, true);
      if (folderIds.length === 0) throw notFound(`no folder ${id}`);
      const rows = await trx
        .selectFrom('media')
        .selectAll()
        .where('owner_id', '=', ownerId)
        .where('folder_id', 'in', folderIds)
        .forUpdate()
        .execute();
      const ids = await this.media.removeRows(trx, rows);
      await trx.deleteFrom('folders').where('id', 'in', folderIds).execute();
      return ids;
    });
    await this.deletions.drain(queued);
  }

  /**
   * Moves files and folders into `target` (null: the root), all or nothing. Every id must be the
   * user's (404 otherwise, nothing moved); shared test media cannot move (403); a folder cannot
   * move into itself or below itself (400).
   */
  async move(ownerId: string, target: string | null, fileIds: string[], folderIds: string[]): Promise<void> {
    const files = [...new Set(fileIds)];
    const folders = [...new Set(folderIds)];
    await this.db.transaction().execute(async (trx) => {
      await lockTree(trx, ownerId);
      if (target !== null && !(await findOwnFolder(trx, ownerId, target))) throw notFound(`no folder ${target}`);

      if (folders.length > 0) {
        const owned = await trx.selectFrom('folders').select('id').where('owner_id', '=', ownerId).where('id', 'in', folders).execute();
        if (owned.length !== folders.length) throw notFound(`no folder ${missing(folders, owned)}`);
        if (target !== null) {
          const lineage = new Set([target, ...(await ancestorsOf(trx, ownerId, target))]);
          const looping = folders.find((id) => lineage.has(id));
          if (looping) throw badRequest(`folder ${looping} cannot move into itself or one of its sub-folders`);
        }
        await trx
          .updateTable('folders')
          .set({ parent_id: target, updated_at: new Date() })
          .where('owner_id', '=', ownerId)
          .where('id', 'in', folders)
          .execute();
      }

      if (files.length > 0) {
        const visible = await trx
          .selectFrom('media')
          .select(['id', 'owner_id', 'type'])
          .where('id', 'in', files)
          .where((eb) => eb.or([eb('owner_id', '=', ownerId), eb('owner_id', 'is', null)]))
          .execute();
        if (visible.length !== files.length) throw notFound(`no media file ${missing(files, visible)}`);
        const shared = visible.find((row) => row.owner_id === null);
        if (shared) throw forbidden(readOnlyReason(shared));
        await trx
          .updateTable('media')
          .set({ folder_id: target, updated_at: new Date() })
          .where('owner_id', '=', ownerId)
          .where('id', 'in', files)
          .execute();
      }
    });
  }
}

/** Serializes changes to one user's folder tree. */
async function lockTree(trx: Kysely<DB>, ownerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`folders:${ownerId}`}))`.execute(trx);
}

function missing(wanted: string[], found: Array<{ id: string }>): string {
  const have = new Set(found.map((row) => row.id));
  return wanted.find((id) => !have.has(id)) ?? '';
}
