import fsp, { type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { Kysely } from 'kysely';
import { AudiolibImportRepository } from '../../db/audiolib-import-repository.js';
import { AudiolibTagsRepository } from '../../db/audiolib-tags-repository.js';
import { MediaRepository, type LibraryFields, type MediaRow } from '../../db/media-repository.js';
import type { AudiolibImportState, AudiolibType, DB } from '../../db/schema.js';
import { badRequest, serviceUnavailable } from '../../http/errors.js';
import { newId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { ListFormatError, parseAudioLibraryList, type ListItem } from './audio-library-list.js';
import { findContained } from './contained-path.js';
import { mediaFormatOf, type MediaFormat } from '../library/media-formats.js';
import type { MediaIngestHook } from '../ingest/media-ingest-hook.js';
import type { MediaService } from '../library/media.js';
import type { ObjectDeletionQueue } from '../library/object-deletion-queue.js';

export interface AudioLibraryImportOptions {
  /** AUDIOLIB_JSON_LIST and AUDIOLIB_FILES_DIR; undefined: the import is off. */
  library: { listPath: string; filesDir: string } | undefined;
  /** How often a run refreshes its heartbeat, whatever it is doing. */
  heartbeatIntervalMs: number;
  /** A run silent this long is considered gone (its replica died): a new POST may take over. */
  staleAfterS: number;
}

/** `GET /api/import/audiolib_json`: the editor API's fields, plus `state` (an extension). */
export interface AudioLibraryImportStatus {
  processedCount: number;
  totalCount: number;
  error: string;
  state: AudiolibImportState;
}

/** At most this many problems are named in `error`; the rest are counted. */
const MAX_NAMED_PROBLEMS = 100;

/** The run no longer holds the state row: another replica took it over. */
class LostRun extends Error {}

/**
 * The operator's import of the audio library: the files its JSON list names, under its folder,
 * become shared `audiolib` media every user sees. Each file's bytes are copied into the object
 * store and ingested like an upload (probe, browser proxy, waveform thumbnail). Runs are
 * idempotent: a second one adds files new to the list, copies again and re-ingests files whose
 * size or modification time changed, updates names, types, categories and moods, and removes
 * the entries (and their bytes) of files that left the list. One run at a time across replicas:
 * the run holds the database's state row by its heartbeat. The run goes on in the background of
 * the replica that took the POST; its progress is in that row for any replica to answer.
 */
export class AudioLibraryImport {
  private current: { abort: AbortController; done: Promise<void> } | undefined;
  private stopping = false;
  private readonly runs: AudiolibImportRepository;
  private readonly rows: MediaRepository;
  private readonly categoryTags: AudiolibTagsRepository;
  private readonly moodTags: AudiolibTagsRepository;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly media: MediaService,
    private readonly store: ObjectStore,
    private readonly deletions: ObjectDeletionQueue,
    private readonly ingest: MediaIngestHook,
    private readonly logger: Logger,
    private readonly options: AudioLibraryImportOptions,
  ) {
    this.runs = new AudiolibImportRepository(db);
    this.rows = new MediaRepository(db);
    this.categoryTags = new AudiolibTagsRepository(db, 'audiolib_categories');
    this.moodTags = new AudiolibTagsRepository(db, 'audiolib_moods');
  }

  /** Starts a run, unless one is going on (anywhere): then that one goes on alone. */
  async start(): Promise<void> {
    const library = this.options.library;
    if (!library) throw badRequest('the audio library import is off: set AUDIOLIB_JSON_LIST (and AUDIOLIB_FILES_DIR)');
    if (this.stopping) throw serviceUnavailable('the server is shutting down');
    const runId = newId();
    if (!(await this.runs.claim(runId, this.options.staleAfterS))) return;
    const abort = new AbortController();
    const heartbeat = setInterval(() => {
      this.runs
        .recordProgress(runId, {})
        .then((held) => {
          if (!held) abort.abort(new LostRun());
        })
        .catch((error: unknown) => this.logger.warn({ err: error }, 'audio library import heartbeat failed'));
    }, this.options.heartbeatIntervalMs);
    heartbeat.unref();
    const done = this.run(runId, library, abort.signal)
      .catch(async (error: unknown) => {
        if (error instanceof LostRun || abort.signal.reason instanceof LostRun) {
          this.logger.warn({ runId }, 'audio library import lost its run to another replica; stopped');
          return;
        }
        const message = abort.signal.aborted
          ? 'the import was stopped by a shutdown before its end; POST again to finish it'
          : `the import failed: ${(error as Error).message}`;
        if (!abort.signal.aborted) this.logger.error({ err: error, runId }, 'audio library import failed');
        await this.runs
          .finish(runId, 'failed', message)
          .catch((e: unknown) => this.logger.warn({ err: e }, 'could not record the end of the audio library import'));
      })
      .finally(() => {
        clearInterval(heartbeat);
        this.current = undefined;
      });
    this.current = { abort, done };
  }

  async status(): Promise<AudioLibraryImportStatus> {
    const run = await this.runs.read();
    const silentMs = run.heartbeatAt ? Date.now() - run.heartbeatAt.getTime() : Infinity;
    if (run.state === 'running' && silentMs > this.options.staleAfterS * 1000) {
      return {
        processedCount: run.processedCount,
        totalCount: run.totalCount,
        error: 'the import stopped before its end (its server went away); POST again to finish it',
        state: 'failed',
      };
    }
    return { processedCount: run.processedCount, totalCount: run.totalCount, error: run.error, state: run.state };
  }

  /** Stops a run in progress (at the next file) and waits for it; later starts are refused. */
  async stop(): Promise<void> {
    this.stopping = true;
    const current = this.current;
    if (!current) return;
    current.abort.abort();
    await current.done;
  }

  private async run(runId: string, library: { listPath: string; filesDir: string }, signal: AbortSignal): Promise<void> {
    const fail = async (error: string) => {
      await this.runs.finish(runId, 'failed', error);
      this.logger.warn({ runId, error }, 'audio library import refused');
    };
    let text: string;
    try {
      text = await fsp.readFile(library.listPath, 'utf8');
    } catch (error) {
      return fail(`AUDIOLIB_JSON_LIST (${library.listPath}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    let items: ListItem[];
    try {
      items = parseAudioLibraryList(text);
    } catch (error) {
      if (error instanceof ListFormatError) return fail(`AUDIOLIB_JSON_LIST (${library.listPath}): ${error.message}`);
      throw error;
    }
    let root: string;
    try {
      root = await fsp.realpath(library.filesDir);
      if (!(await fsp.stat(root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (error) {
      // An unmounted volume must not empty the library: nothing is touched.
      return fail(`AUDIOLIB_FILES_DIR (${library.filesDir}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (!(await this.runs.recordProgress(runId, { totalCount: items.length }))) throw new LostRun();

    const pass = new ImportPass();
    for (const [index, item] of items.entries()) {
      signal.throwIfAborted();
      try {
        await this.importItem(item, root, pass, signal);
      } catch (error) {
        // One file failing (storage down for a moment, a read error) does not stop the others.
        const label = item.ok ? item.entry.relativePath : item.label;
        pass.problem(label, `could not be imported: ${(error as Error).message}`);
        this.logger.warn({ err: error, file: label }, 'audio library file could not be imported');
      }
      if (!(await this.runs.recordProgress(runId, { processedCount: index + 1 }))) throw new LostRun();
    }
    signal.throwIfAborted();

    const gone = (await this.rows.allInLibrary()).filter((row) => row.source === null || !pass.keeps(row.source));
    if (gone.length > 0) {
      const queued = await this.db.transaction().execute((trx) => this.media.removeRows(trx, gone));
      await this.deletions.drain(queued);
    }
    await this.categoryTags.deleteUnused();
    await this.moodTags.deleteUnused();
    if (!(await this.runs.finish(runId, 'done', pass.errorText()))) throw new LostRun();
    this.logger.info({ runId, total: items.length, ...pass.counts, removed: gone.length, problems: pass.problemCount }, 'audio library imported');
  }

  private async importItem(item: ListItem, root: string, pass: ImportPass, signal: AbortSignal): Promise<void> {
    if (!item.ok) {
      pass.problem(item.label, `refused: ${item.reason}`);
      return;
    }
    const { entry } = item;
    const found = await findContained(root, entry.relativePath);
    if (found.kind === 'refused') {
      pass.problem(entry.relativePath, `refused: ${found.reason}`);
      return;
    }
    const source = sourceOf(found.relativePath);
    if (!pass.firstSighting(source)) {
      pass.problem(entry.relativePath, 'refused: the file is listed twice');
      return;
    }
    if (found.kind === 'missing') {
      // Skipped, not removed: a file missing for a moment (a volume being synced) keeps its entry.
      pass.keep(source);
      pass.problem(entry.relativePath, `skipped: ${found.reason}`);
      return;
    }
    const format = mediaFormatOf(found.relativePath);
    if (!format || format.mediaType !== 'audio') {
      pass.problem(entry.relativePath, 'refused: not an audio file (by its extension)');
      return;
    }
    // Kept from here on: a file that fails to copy keeps the entry it had.
    pass.keep(source);
    const handle = await fsp.open(found.realPath, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        pass.drop(source);
        pass.problem(entry.relativePath, 'refused: not a regular file');
        return;
      }
      const fields: LibraryFields = {
        name: entry.name,
        audiolibType: entry.audiolibType,
        categoryId: entry.category === null ? null : await pass.tag(this.categoryTags, entry.audiolibType, entry.category),
        moodId: entry.mood === null ? null : await pass.tag(this.moodTags, entry.audiolibType, entry.mood),
      };
      pass.counts[await this.syncFile(source, format, fields, handle, stat, signal)] += 1;
    } finally {
      await handle.close();
    }
  }

  /** Makes or updates the entry of one file; copies and ingests its bytes when they changed. */
  private async syncFile(
    source: string,
    format: MediaFormat,
    fields: LibraryFields,
    handle: FileHandle,
    stat: Stats,
    signal: AbortSignal,
  ): Promise<'added' | 'updated' | 'unchanged'> {
    let row = await this.rows.findInLibraryBySource(source);
    const isNew = row === undefined;
    const fieldsChanged = row !== undefined && fieldsDiffer(row, fields);
    if (!row) {
      row = await this.db.transaction().execute(async (trx) => {
        const created = await this.media.create(
          {
            ownerId: null,
            name: fields.name,
            type: 'audiolib',
            filetype: format.filetype,
            mediaType: format.mediaType,
            status: 'import',
            source,
            sizeBytes: stat.size,
            enforceQuota: false,
          },
          trx,
        );
        return (await this.rows.setLibraryFields(created.id, fields, trx))!;
      });
    } else if (fieldsChanged) {
      row = (await this.rows.setLibraryFields(row.id, fields)) ?? row;
    }

    const key = this.media.objectKey(row, 'original', format.filetype);
    // The file's version is compared with the one copied last (object stores keep no precise mtime).
    const version = `${stat.size}:${stat.mtimeMs}`;
    const stored = await this.store.head(key);
    const bytesChanged = !stored || stored.sizeBytes !== stat.size || row.source_version !== version || row.original_key !== key;
    // Copied but never handed to ingest (a run stopped between the two): hand it over now.
    const ingestMissing = row.status === 'import' && row.task_id === null;
    if (!bytesChanged && !ingestMissing) return fieldsChanged ? 'updated' : 'unchanged';

    if (bytesChanged) {
      await this.store.put(key, handle.createReadStream({ start: 0, autoClose: false, signal }), { sizeBytes: stat.size });
    }
    const updated = await this.media.update(row.id, {
      originalKey: key,
      sizeBytes: stat.size,
      sourceVersion: version,
      status: 'import',
      progress: 0,
      error: null,
      taskId: null,
      // The old proxy and thumbnails are of the old bytes; ingest makes new ones.
      ...(isNew ? {} : { proxyKey: null, thumbnailsKey: null, thumbnailsIndex: null }),
    });
    if (updated) await this.ingest.requestIngest(updated);
    return isNew ? 'added' : 'updated';
  }
}

/** The entry's key: its path inside the library folder, normalised. */
function sourceOf(relativePath: string): string {
  return `audiolib:${relativePath}`;
}

function fieldsDiffer(row: MediaRow, fields: LibraryFields): boolean {
  return row.name !== fields.name || row.audiolib_type !== fields.audiolibType || row.category_id !== fields.categoryId || row.mood_id !== fields.moodId;
}

/** What one run has seen: the files it keeps, the problems to report, the tags it resolved. */
class ImportPass {
  readonly counts = { added: 0, updated: 0, unchanged: 0 };
  problemCount = 0;
  private readonly problems: string[] = [];
  private readonly kept = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly tags = new Map<string, string>();

  problem(label: string, reason: string): void {
    this.problemCount += 1;
    if (this.problems.length < MAX_NAMED_PROBLEMS) this.problems.push(`${label}: ${reason}`);
  }

  errorText(): string {
    const more = this.problemCount - this.problems.length;
    return [...this.problems, ...(more > 0 ? [`and ${more} more`] : [])].join('; ');
  }

  firstSighting(source: string): boolean {
    if (this.seen.has(source)) return false;
    this.seen.add(source);
    return true;
  }

  keep(source: string): void {
    this.kept.add(source);
  }

  drop(source: string): void {
    this.kept.delete(source);
  }

  keeps(source: string): boolean {
    return this.kept.has(source);
  }

  async tag(tags: AudiolibTagsRepository, audiolibType: AudiolibType, name: string): Promise<string> {
    const cacheKey = `${tags.table}\u0000${audiolibType}\u0000${name}`;
    let id = this.tags.get(cacheKey);
    if (id === undefined) {
      id = await tags.idOf(audiolibType, name);
      this.tags.set(cacheKey, id);
    }
    return id;
  }
}
