import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import {
  buildTimeline,
  rateFromNumber,
  TimecodeError,
  type ImportedMedia,
  type ProjectImportResult,
  type ProjectImportSpec,
  type Rational,
  type StoredProjectImportSpec,
} from '@cutroom/render-node';
import { FoldersRepository } from '../../db/folders-repository.js';
import { MediaRepository } from '../../db/media-repository.js';
import { ProjectImportChunksRepository } from '../../db/project-import-chunks-repository.js';
import { ProjectImportsRepository, type ProjectImportRow } from '../../db/project-imports-repository.js';
import type { DB, ProjectImportStage } from '../../db/schema.js';
import type { ContentRange } from '../../http/content-range.js';
import { badRequest, HttpError, insufficientStorage, notFound } from '../../http/errors.js';
import { newId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { TaskKindDefinition } from '../../work/task-kinds.js';
import type { Task } from '../../work/task-store.js';
import type { WorkQueue } from '../../work/work-queue.js';
import { recordChunk, receivedPercent, storeChunk, type ChunkLedger } from '../ingest/chunked-upload.js';
import type { FolderService } from '../library/folders.js';
import type { IngestService } from '../ingest/ingest.js';
import { mediaExtensions } from '../library/media-formats.js';
import type { MediaService } from '../library/media.js';
import type { ProjectsService } from './projects.js';
import { assemblyParts } from '../ingest/upload-coverage.js';

/**
 * Project import (`/api/upload/project`): a zip holding an edit decision list and its media
 * becomes a project whose `data` is the list's timeline (docs/timeline.md).
 *
 *   upload        chunks arrive as for media uploads (chunked-upload.ts)
 *   unpack        a render node checks and unpacks the zip (`project_import` task): the edit
 *                 list, and each media file stored in a slot of this import
 *   import_media  each media file becomes a media entry (in a folder named after the project
 *                 when asked) and goes through ingest; the timeline is built from the list
 *   ready         every ingest has ended: the project is made, under the id the session had
 *
 * A refusal or failure at any stage sets `failed` and `error` and removes everything the import
 * made (media, folder, stored bytes); the session keeps answering until it expires. `cancel`
 * removes the session and everything it made, the project too.
 */

export interface ProjectImportOptions {
  sessionTtlMs: number;
  /** Largest zip, and most bytes it may unpack to. */
  maxBytes: number;
  maxEntries: number;
  maxRatio: number;
  timeoutS: number;
  /** MAX_FILE_SIZE: no file of the zip may be larger (0: no limit but maxBytes). */
  maxFileSizeBytes: number;
  maxAttempts: number;
  heartbeatTimeoutS: number;
}

export interface NewProjectImport {
  size: number;
  name?: string | undefined;
  fps?: number | undefined;
  createFolder?: boolean | undefined;
}

export interface ProjectImportState {
  id: string;
  stage: ProjectImportStage;
  /** Percent of the current stage. */
  progress: number;
  error: string;
  failed: boolean;
  size: number;
  receivedBytes: number;
  complete: boolean;
  expiresAt: Date;
}

type ImportRow = ProjectImportRow;

/** The unpack task of an import. */
type ImportTask = Task<'project_import'>;

const URL_LIFETIME_EXTRA_S = 600;

const prefixOf = (row: Pick<ImportRow, 'owner_id' | 'id'>) => `project-imports/${row.owner_id}/${row.id}/`;
const slotKey = (row: Pick<ImportRow, 'owner_id' | 'id'>, slot: number) => `${prefixOf(row)}files/${slot}`;

/** Project import sessions keep their state in `project_imports` and `project_import_chunks`. */
function importLedger(imports: ProjectImportsRepository, chunks: ProjectImportChunksRepository): ChunkLedger {
  return {
    async lock(trx, id) {
      const row = await imports.lockForUpload(trx, id);
      return row && { sizeBytes: row.size_bytes, receiving: row.stage === 'upload' && !row.failed };
    },
    addChunk: (trx, id, chunk) => chunks.upsert(trx, id, chunk),
    chunks: (trx, id) => chunks.of(trx, id),
    setReceived: (trx, id, receivedBytes) => imports.setReceived(trx, id, receivedBytes),
  };
}

export class ProjectImportService {
  private readonly imports: ProjectImportsRepository;
  private readonly ledger: ChunkLedger;
  private readonly mediaRows: MediaRepository;
  private readonly folderRows: FoldersRepository;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly store: ObjectStore,
    private readonly media: MediaService,
    private readonly folders: FolderService,
    private readonly projects: ProjectsService,
    private readonly ingest: IngestService,
    private readonly work: WorkQueue,
    private readonly options: ProjectImportOptions,
    private readonly log: Logger,
  ) {
    this.imports = new ProjectImportsRepository(db);
    this.ledger = importLedger(this.imports, new ProjectImportChunksRepository());
    this.mediaRows = new MediaRepository(db);
    this.folderRows = new FoldersRepository(db);
  }

  // ---- the session ----

  async create(ownerId: string, request: NewProjectImport): Promise<{ id: string }> {
    if (request.size > this.options.maxBytes) {
      throw insufficientStorage(
        'exceeded_file_size',
        `the zip is ${request.size} bytes, over the ${this.options.maxBytes} bytes a project import may have (PROJECT_IMPORT_MAX_BYTES)`,
      );
    }
    let rate: Rational | undefined;
    if (request.fps !== undefined) {
      try {
        rate = rateFromNumber(request.fps);
      } catch (error) {
        if (error instanceof TimecodeError) throw badRequest(`fps: ${error.message}`);
        throw error;
      }
    }
    const fileName = request.name?.trim() || 'project.zip';
    const id = newId();
    await this.imports.insert({
      id,
      owner_id: ownerId,
      name: fileName.replace(/\.zip$/i, '') || fileName,
      file_name: fileName,
      fps_num: rate?.num ?? null,
      fps_den: rate?.den ?? null,
      create_folder: request.createFolder ?? false,
      size_bytes: request.size,
      expires_at: this.expiry(),
    });
    return { id };
  }

  async state(ownerId: string, id: string): Promise<ProjectImportState> {
    const row = await this.find(ownerId, id);
    let progress = row.progress;
    if (row.stage === 'import_media' && !row.failed) progress = await this.mediaProgress(row.media_ids);
    return {
      id,
      stage: row.stage,
      progress,
      error: row.error,
      failed: row.failed,
      size: row.size_bytes,
      receivedBytes: row.received_bytes,
      complete: row.stage !== 'upload',
      expiresAt: new Date(row.expires_at),
    };
  }

  /** Stores one chunk of the zip (or answers a state query); the chunk that completes it starts the unpack. */
  async receive(ownerId: string, id: string, range: ContentRange, body: Readable, contentLength: number | undefined): Promise<ProjectImportState> {
    const state = await this.state(ownerId, id);
    const session = { sizeBytes: state.size, receivedBytes: state.receivedBytes, complete: state.complete || state.failed };
    const row = { owner_id: ownerId, id };
    const chunk = await storeChunk(this.store, session, range, body, contentLength, (start, end) => `${prefixOf(row)}upload/${start}-${end}.part`);
    if (!chunk) return state;
    const recorded = await recordChunk(this.db, this.ledger, id, chunk, async (trx, r) => {
      if (!r.justCompleted) return;
      const task = await this.work.submit({ kind: 'project_import', ownerId, spec: { importId: id } satisfies StoredProjectImportSpec }, trx);
      await this.imports.startUnpack(trx, id, task.id, this.expiry(this.options.timeoutS * 1000));
    });
    if (recorded.justCompleted) this.work.kick();
    return {
      ...state,
      stage: recorded.complete ? 'unpack' : 'upload',
      progress: recorded.complete ? 0 : receivedPercent(recorded.receivedBytes, recorded.sizeBytes),
      receivedBytes: recorded.receivedBytes,
      complete: recorded.complete,
    };
  }

  /** Stops the import wherever it is and removes everything it made, the project included, and the session. */
  async cancel(ownerId: string, id: string): Promise<void> {
    const row = await this.find(ownerId, id);
    if (row.task_id && row.stage === 'unpack') {
      await this.work.abort(row.task_id, ownerId).catch((error: unknown) => this.log.warn({ err: error, importId: id }, 'stopping the unpack failed'));
    }
    await this.removeMade(row, { project: true });
    await this.imports.deleteOwn(ownerId, id);
  }

  /**
   * Sessions past their lifetime: ended ones are forgotten (a ready project stays); any other is
   * removed with what it made (an upload never finished, or an import a crash left halfway:
   * working stages get a lifetime longer than the unpack's time limit).
   */
  async sweepExpired(): Promise<number> {
    const expired = await this.imports.expired();
    for (const row of expired) {
      if (row.stage !== 'ready' && !row.failed) await this.removeMade(row, { project: false });
      await this.imports.delete(row.id);
    }
    return expired.length;
  }

  /** Project imports in progress (not ready, not failed), for `/api/stat`. */
  activeCount(): Promise<number> {
    return this.imports.activeCount();
  }

  // ---- the unpack task ----

  definition(): TaskKindDefinition<'project_import'> {
    return {
      kind: 'project_import',
      maxAttempts: this.options.maxAttempts,
      heartbeatTimeoutS: this.options.heartbeatTimeoutS,
      // The node gives up itself at timeoutS with a clear message; the deadline is the backstop.
      deadlineS: this.options.timeoutS + URL_LIFETIME_EXTRA_S,
      workOrder: (task) => this.workOrder(task),
      onProgress: (task) => this.unpackProgress(task),
      onComplete: (task, result) => this.unpacked(task, result),
      onFailed: (task) => this.unpackFailed(task),
    };
  }

  private async workOrder(task: ImportTask): Promise<ProjectImportSpec> {
    const row = await this.importOfTask(task);
    if (!row || row.failed) throw new Error(`project import ${task.spec.importId} is gone`);
    const chunks = await this.ledger.chunks(this.db, row.id);
    const parts = assemblyParts(chunks, row.size_bytes);
    if (!parts) throw new Error(`project import ${row.id} has a gap in its chunks`);
    const expiresInS = this.options.timeoutS + URL_LIFETIME_EXTRA_S;
    const signed = { expiresInS, audience: 'internal' as const };
    const { maxBytes, maxFileSizeBytes } = this.options;
    const spec: ProjectImportSpec = {
      source: {
        parts: await Promise.all(parts.map(async (p) => ({ url: await this.store.signedGetUrl(p.key, signed), skipBytes: p.skipBytes }))),
        sizeBytes: row.size_bytes,
      },
      ...(row.fps_num !== null && row.fps_den !== null ? { rate: { num: row.fps_num, den: row.fps_den } } : {}),
      limits: {
        maxEntries: this.options.maxEntries,
        maxTotalBytes: maxBytes,
        maxFileBytes: maxFileSizeBytes > 0 ? Math.min(maxFileSizeBytes, maxBytes) : maxBytes,
        maxRatio: this.options.maxRatio,
        timeoutS: this.options.timeoutS,
      },
      mediaExtensions: mediaExtensions(),
      slots: await Promise.all(Array.from({ length: this.options.maxEntries }, (_, slot) => this.store.signedPutUrl(slotKey(row, slot), signed))),
    };
    return spec;
  }

  private async unpackProgress(task: ImportTask): Promise<void> {
    const row = await this.importOfTask(task);
    if (!row) return;
    await this.imports.setUnpackProgress(row.id, Math.min(99, Math.round(task.progress * 100)));
  }

  /**
   * The zip is unpacked: make the folder, a media entry per stored file (ingest starts for each),
   * and the timeline. Idempotent: after a crash it may run again, and finds its folder made.
   */
  private async unpacked(task: ImportTask, result: ProjectImportResult): Promise<void> {
    let row = await this.importOfTask(task);
    if (!row || row.stage !== 'unpack' || row.failed) return;
    try {
      if (row.create_folder && row.folder_id === null) {
        const folder = await this.folders.create(row.owner_id, row.name, null);
        await this.imports.setFolder(row.id, folder.id);
        row = { ...row, folder_id: folder.id };
      }
      const current = row;
      const made = await this.db.transaction().execute(async (trx) => {
        const locked = await this.imports.lockStage(trx, current.id);
        if (!locked || locked.stage !== 'unpack' || locked.failed) return false;
        const imported: ImportedMedia[] = [];
        for (const file of result.media) {
          const entry = await this.media.create(
            { ownerId: current.owner_id, folderId: current.folder_id, name: file.name, type: 'uploaded', status: 'upload', sizeBytes: file.sizeBytes },
            trx,
          );
          await this.ingest.startUpload(entry, [{ key: slotKey(current, file.slot), skipBytes: 0 }], trx);
          imported.push({ id: entry.id, name: file.name, ...file.probe });
        }
        const { timeline, problems } = buildTimeline(result.editList.list, imported, { name: current.name, file: result.editList.path });
        const unreadable = result.unreadable.map((u) => `${u.path}: not imported, ${u.reason}`);
        await this.imports.startMediaImport(trx, current.id, {
          mediaIds: imported.map((m) => m.id),
          timeline: JSON.stringify(timeline, null, 1),
          error: [...unreadable, ...problems].join('; '),
          expiresAt: this.expiry(),
        });
        return true;
      });
      if (made) {
        this.ingest.dispatchNow();
        // An import with no media is ready at once; a hiccup here is retried by the timer, never a failure of the unpack.
        await this.advance().catch((error: unknown) => this.log.warn({ err: error, importId: current.id }, 'advancing project imports failed'));
      }
    } catch (error) {
      // Over a quota, or media the library refuses: the import fails with the library's reason.
      if (!(error instanceof HttpError)) throw error;
      await this.fail(row.id, error.message);
    }
  }

  private async unpackFailed(task: ImportTask): Promise<void> {
    const row = await this.importOfTask(task);
    if (!row || row.failed || row.stage === 'ready') return;
    const message = task.state === 'aborted' ? 'the import was stopped' : (task.error?.message ?? 'the zip could not be unpacked');
    await this.fail(row.id, message);
  }

  // ---- the end ----

  /**
   * Finishes the imports whose media have all been through ingest: the project is made with the
   * timeline, and media that failed their ingest are named in `error`. Level-based and
   * idempotent: any replica may run it at any time; within one, runs do not overlap.
   */
  advance(): Promise<void> {
    if (this.advancing) {
      this.advanceAgain = true;
      return this.advancing;
    }
    this.advancing = (async () => {
      try {
        do {
          this.advanceAgain = false;
          const waiting = await this.imports.importingMedia();
          for (const row of waiting) {
            await this.finish(row).catch((error: unknown) =>
              this.log.warn({ err: error, importId: row.id }, 'finishing a project import failed; it is tried again'),
            );
          }
        } while (this.advanceAgain);
      } finally {
        this.advancing = undefined;
      }
    })();
    return this.advancing;
  }

  private advancing: Promise<void> | undefined;
  private advanceAgain = false;

  private async finish(row: ImportRow): Promise<void> {
    const rows = row.media_ids.length === 0 ? [] : await this.mediaRows.outcomesOf(row.media_ids);
    // Settled: ready, or failed (a failed file keeps the status of the stage that failed, with its error).
    if (rows.some((m) => m.status !== 'ready' && m.error === null)) return;
    const failedMedia = rows.filter((m) => m.error !== null).map((m) => `${m.name}: ${m.error!.message}`);
    const missing = row.media_ids.filter((id) => !rows.some((m) => m.id === id)).map((id) => `media ${id} was deleted during the import`);
    if (!(await this.projectExists(row))) {
      try {
        await this.projects.create(row.owner_id, { id: row.id, name: row.name, data: { bytes: Buffer.from(row.timeline ?? 'null') } });
      } catch (error) {
        // Another replica made it first.
        if (!(await this.projectExists(row))) throw error;
      }
    }
    const error = [row.error, ...failedMedia, ...missing].filter(Boolean).join('; ');
    if (await this.imports.markReady(row.id, error, this.expiry())) await this.store.deletePrefix(prefixOf(row));
  }

  private async projectExists(row: ImportRow): Promise<boolean> {
    try {
      await this.projects.get(row.owner_id, row.id);
      return true;
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return false;
      throw error;
    }
  }

  /**
   * Removes what the import made, then records the refusal: once `failed` shows, nothing is
   * left. The session stays to tell why until it expires.
   */
  private async fail(id: string, message: string): Promise<void> {
    const row = await this.imports.find(id);
    if (!row || row.failed || row.stage === 'ready') return;
    await this.removeMade(row, { project: false });
    if (await this.imports.markFailed(id, message, this.expiry()))
      this.log.info({ importId: id, userId: row.owner_id, error: message }, 'project import refused');
  }

  /** Media entries (their ingests stopped), the folder when nothing else is in it, stored bytes, and the project if asked. */
  private async removeMade(row: ImportRow, what: { project: boolean }): Promise<void> {
    const entries = row.media_ids.length === 0 ? [] : await this.mediaRows.tasksOf(row.media_ids);
    for (const entry of entries) {
      if (entry.task_id) await this.work.abort(entry.task_id, row.owner_id).catch(() => undefined);
      await this.media.delete(row.owner_id, entry.id, true).catch((error: unknown) => {
        if (!(error instanceof HttpError && error.status === 404)) throw error;
      });
    }
    if (row.folder_id) await this.removeFolderIfEmpty(row.owner_id, row.folder_id);
    if (what.project) {
      await this.projects.delete(row.owner_id, row.id).catch((error: unknown) => {
        if (!(error instanceof HttpError && error.status === 404)) throw error;
      });
    }
    await this.store.deletePrefix(prefixOf(row));
  }

  private async removeFolderIfEmpty(ownerId: string, folderId: string): Promise<void> {
    const [files, folders] = await Promise.all([this.mediaRows.anyInFolder(folderId), this.folderRows.hasSubfolders(folderId)]);
    // What the user put there since is theirs: the folder stays with it.
    if (files || folders) return;
    await this.folders.delete(ownerId, folderId, true).catch((error: unknown) => {
      if (!(error instanceof HttpError && error.status === 404)) throw error;
    });
  }

  // ---- helpers ----

  private async find(ownerId: string, id: string): Promise<ImportRow> {
    // An expired session is gone to its owner at once, as a media upload's is; the sweep removes it later.
    const row = await this.imports.findCurrent(ownerId, id);
    if (!row) throw notFound(`no project import ${id}`);
    return row;
  }

  private importOfTask(task: ImportTask): Promise<ImportRow | undefined> {
    return this.imports.find(task.spec.importId);
  }

  /** During import_media: the media's ingest progress, each ready one counting 100. */
  private async mediaProgress(mediaIds: string[]): Promise<number> {
    if (mediaIds.length === 0) return 100;
    const rows = await this.mediaRows.progressOf(mediaIds);
    const total = rows.reduce((n, m) => n + (m.status === 'ready' || m.error !== null ? 100 : m.progress), 0) + (mediaIds.length - rows.length) * 100;
    return Math.min(99, Math.floor(total / mediaIds.length));
  }

  /** The session's end: its lifetime from now, or, for a stage with a time limit, an hour past that limit when longer. */
  private expiry(stageLimitMs?: number): Date {
    const lifetimeMs = stageLimitMs === undefined ? this.options.sessionTtlMs : Math.max(this.options.sessionTtlMs, stageLimitMs + 3_600_000);
    return new Date(Date.now() + lifetimeMs);
  }
}
