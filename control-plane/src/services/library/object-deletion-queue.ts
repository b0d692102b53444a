import type { Kysely } from 'kysely';
import { ObjectDeletionsRepository } from '../../db/object-deletions-repository.js';
import type { DB } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import type { ObjectStore } from '../../storage/object-store.js';

export interface ObjectToDelete {
  key: string;
  /** True: every object whose key starts with `key`. */
  isPrefix: boolean;
}

/**
 * Stored objects to remove once the rows that named them are gone. Rows and bytes cannot be
 * deleted atomically together, so the objects are queued in the same transaction that deletes
 * the rows, removed right after it commits, and a sweep retries whatever a crash or a storage
 * outage left behind: no row ever points at missing bytes, and no bytes outlive their row for long.
 */
export class ObjectDeletionQueue {
  private readonly queue: ObjectDeletionsRepository;

  constructor(
    db: Kysely<DB>,
    private readonly store: ObjectStore,
    private readonly logger: Logger,
  ) {
    this.queue = new ObjectDeletionsRepository(db);
  }

  /** Queues objects inside the caller's transaction; answers the queue ids to `drain` after commit. */
  async enqueue(trx: Kysely<DB>, objects: ObjectToDelete[]): Promise<string[]> {
    if (objects.length === 0) return [];
    const rows = objects.map((object) => ({ id: newId(), key: object.key, is_prefix: object.isPrefix }));
    await this.queue.insertMany(trx, rows);
    return rows.map((row) => row.id);
  }

  /** Removes the objects of these queue entries now; failures stay queued for the sweep. */
  async drain(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.queue.findMany(ids.slice(i, i + 500));
      for (const row of rows) await this.remove(row);
    }
  }

  /** Retries every queued deletion (start-up and periodically); answers how many were done. */
  async sweep(): Promise<number> {
    let done = 0;
    let lastId = '';
    for (;;) {
      const rows = await this.queue.pageAfter(lastId, 200);
      if (rows.length === 0) return done;
      for (const row of rows) if (await this.remove(row)) done += 1;
      lastId = rows[rows.length - 1]!.id;
    }
  }

  /** Queued entries not yet done (for tests and operators). */
  async pending(): Promise<number> {
    return this.queue.count();
  }

  private async remove(row: { id: string; key: string; is_prefix: boolean }): Promise<boolean> {
    try {
      if (row.is_prefix) await this.store.deletePrefix(row.key);
      else await this.store.delete(row.key);
      await this.queue.delete(row.id);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, key: row.key }, 'stored object deletion failed; will retry');
      await this.queue.countAttempt(row.id).catch(() => {});
      return false;
    }
  }
}
