import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { MediaRepository, type MediaRow } from '../../db/media-repository.js';
import type { Logger } from '../../logger.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { extensionOf } from '../../storage/content-types.js';
import type { MediaIngestHook } from '../ingest/media-ingest-hook.js';
import { mediaFormatOf } from './media-formats.js';
import type { MediaService } from './media.js';
import type { ObjectDeletionQueue } from './object-deletion-queue.js';

export interface SeedReport {
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: string[];
}

/**
 * Keeps the shared `test` media in step with TEST_MEDIA_DIR at start-up: each media file of the
 * directory (top level) becomes one entry every user sees, its bytes copied into the object
 * store. Running it again changes nothing unless files were added, replaced (newer than the
 * stored copy, or another size) or removed. New or replaced files go to the ingest hook.
 * Replicas starting together are safe: entries are unique by source, copies are atomic puts.
 */
export class TestMediaSeeder {
  private readonly rows: MediaRepository;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly media: MediaService,
    private readonly store: ObjectStore,
    private readonly deletions: ObjectDeletionQueue,
    private readonly ingest: MediaIngestHook,
    private readonly logger: Logger,
  ) {
    this.rows = new MediaRepository(db);
  }

  async seed(dir: string): Promise<SeedReport> {
    const report: SeedReport = { added: 0, updated: 0, unchanged: 0, removed: 0, skipped: [] };
    let names: string[];
    try {
      names = (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name);
    } catch (error) {
      // A directory that is not there (an unmounted volume) must not wipe the shared media.
      this.logger.warn({ err: error, dir }, 'TEST_MEDIA_DIR cannot be read; shared test media left as they are');
      return report;
    }
    const sources = new Set<string>();
    for (const name of names.sort()) {
      if (!mediaFormatOf(name)) {
        report.skipped.push(name);
        continue;
      }
      const source = `test:${name}`;
      sources.add(source);
      const outcome = await this.seedFile(path.join(dir, name), name, source);
      report[outcome] += 1;
    }

    const gone = await this.rows.allTestMedia();
    const stale = gone.filter((row) => row.source === null || !sources.has(row.source));
    if (stale.length > 0) {
      const queued = await this.db.transaction().execute((trx) => this.media.removeRows(trx, stale));
      await this.deletions.drain(queued);
      report.removed = stale.length;
    }
    this.logger.info({ dir, ...report, skipped: report.skipped.length }, 'shared test media seeded');
    return report;
  }

  private async seedFile(file: string, name: string, source: string): Promise<'added' | 'updated' | 'unchanged'> {
    const stat = await fsp.stat(file);
    let row = await this.findBySource(source);
    const isNew = row === undefined;
    if (!row) {
      try {
        row = await this.media.create({ ownerId: null, name, type: 'test', status: 'import', source, sizeBytes: stat.size, enforceQuota: false });
      } catch (error) {
        // Another replica made it first.
        row = await this.findBySource(source);
        if (!row) throw error;
      }
    }
    const key = this.media.objectKey(row, 'original', extensionOf(name));
    // The file's version is compared with the one copied last (object stores keep no precise mtime).
    const version = `${stat.size}:${stat.mtimeMs}`;
    const stored = await this.store.head(key);
    const stale = !stored || stored.sizeBytes !== stat.size || row.source_version !== version;
    if (stale) await this.store.put(key, fs.createReadStream(file), { sizeBytes: stat.size });
    if (!stale && row.original_key === key && row.status === 'ready') return 'unchanged';

    const updated = await this.media.update(row.id, {
      originalKey: key,
      sizeBytes: stat.size,
      sourceVersion: version,
      status: 'ready',
      progress: 100,
      error: null,
    });
    if (updated) {
      // Ingest failing to take the request must not keep the service from starting; the file stays listed.
      await this.ingest.requestIngest(updated).catch((error: unknown) => {
        this.logger.error({ err: error, mediaId: updated.id }, 'could not request ingest of a shared test file');
      });
    }
    return isNew ? 'added' : 'updated';
  }

  private async findBySource(source: string): Promise<MediaRow | undefined> {
    return this.rows.findTestBySource(source);
  }
}
