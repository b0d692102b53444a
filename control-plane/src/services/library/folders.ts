import type { Kysely } from 'kysely';
import { FoldersRepository } from '../../db/folders-repository.js';
import { MediaRepository } from '../../db/media-repository.js';
import type { DB } from '../../db/schema.js';
import { badRequest, forbidden, notFound } from '../../http/errors.js';
import { newId } from '../../ids.js';
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
  private readonly folders: FoldersRepository;
  private readonly mediaRows: MediaRepository;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly media: MediaService,
    private readonly deletions: ObjectDeletionQueue,
  ) {
    this.folders = new FoldersRepository(db);
    this.mediaRows = new MediaRepository(db);
  }

  async create(ownerId: string, name: string, parent: string | null): Promise<{ id: string }> {
    const id = newId();
    await this.db.transaction().execute(async (trx) => {
      await this.folders.lockTree(trx, ownerId);
      if (parent !== null && !(await this.folders.findOwn(ownerId, parent, trx))) throw notFound(`no folder ${parent}`);
      await this.folders.insert({ id, owner_id: ownerId, parent_id: parent, name, create_time_ms: Date.now() }, trx);
    });
    return { id };
  }

  /** Renames a folder; without a name, only checks that it is the user's (the editor API makes `name` optional). */
  async rename(ownerId: string, id: string, name: string | undefined): Promise<void> {
    if (name === undefined) {
      if (!(await this.folders.findOwn(ownerId, id))) throw notFound(`no folder ${id}`);
      return;
    }
    if (!(await this.folders.rename(ownerId, id, name))) throw notFound(`no folder ${id}`);
  }

  /**
   * Deletes a folder, its sub-folders and every file in them, with their stored objects.
   * Refuses with `used_in_projects` when a project mentions any of those files, unless `force`.
   */
  async delete(ownerId: string, id: string, force: boolean): Promise<void> {
    if (!force) {
      // Asked before the transaction: the usage index answers through its own connection.
      const subtree = await this.folders.subtreeOf(ownerId, id);
      if (subtree.length === 0) throw notFound(`no folder ${id}`);
      await this.media.assertUnused(ownerId, await this.mediaRows.idsInFolders(ownerId, subtree));
    }
    const queued = await this.db.transaction().execute(async (trx) => {
      await this.folders.lockTree(trx, ownerId);
      const folderIds = await this.folders.subtreeOf(ownerId, id, true, trx);
      if (folderIds.length === 0) throw notFound(`no folder ${id}`);
      const rows = await this.mediaRows.lockInFolders(trx, ownerId, folderIds);
      const ids = await this.media.removeRows(trx, rows);
      await this.folders.deleteMany(trx, folderIds);
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
      await this.folders.lockTree(trx, ownerId);
      if (target !== null && !(await this.folders.findOwn(ownerId, target, trx))) throw notFound(`no folder ${target}`);

      if (folders.length > 0) {
        const owned = await this.folders.ownedAmong(ownerId, folders, trx);
        if (owned.length !== folders.length) throw notFound(`no folder ${missing(folders, owned)}`);
        if (target !== null) {
          const lineage = new Set([target, ...(await this.folders.ancestorsOf(ownerId, target, trx))]);
          const looping = folders.find((id) => lineage.has(id));
          if (looping) throw badRequest(`folder ${looping} cannot move into itself or one of its sub-folders`);
        }
        await this.folders.reparent(trx, ownerId, folders, target);
      }

      if (files.length > 0) {
        const visible = await this.mediaRows.visibleAmong(trx, ownerId, files);
        if (visible.length !== files.length)
          throw notFound(
            `no media file ${missing(
              files,
              visible.map((row) => row.id),
            )}`,
          );
        const shared = visible.find((row) => row.owner_id === null);
        if (shared) throw forbidden(readOnlyReason(shared));
        await this.mediaRows.moveToFolder(trx, ownerId, files, target);
      }
    });
  }
}

function missing(wanted: string[], found: string[]): string {
  const have = new Set(found);
  return wanted.find((id) => !have.has(id)) ?? '';
}
