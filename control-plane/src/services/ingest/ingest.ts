import type { Kysely } from 'kysely';
import type { IngestResult, IngestSource, IngestSpec, StoredIngestSpec } from '@cutroom/render-node';
import type { DB, MediaError, MediaStatus, TaskError } from '../../db/schema.js';
import type { MediaRow } from '../../db/media-repository.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { TaskKindDefinition } from '../../work/task-kinds.js';
import type { Task } from '../../work/task-store.js';
import type { WorkQueue } from '../../work/work-queue.js';
import type { MediaIngestHook } from './media-ingest-hook.js';
import { mediaObjectPrefix } from '../library/media-object-keys.js';
import type { MediaService } from '../library/media.js';

/**
 * Ingest on render nodes: the bytes of a media entry (stored, uploaded in chunks, or at an
 * outside URL) are probed, given a proxy when browsers cannot play them, and thumbnails. The
 * entry's status follows the task (`upload`/`import` → `convert` → `prepare_thumbnails` →
 * `ready`). A file is ready or failed, never both: a failure leaves the status of the stage that
 * failed, with the error object, and `ready` always comes with no error.
 */

export interface IngestOptions {
  thumbStepMs: number;
  thumbWidth: number;
  thumbHeight: number;
  allowPrivateUrls: boolean;
  maxAttempts: number;
  heartbeatTimeoutS: number;
}

type IngestKind = 'ingest' | 'import_url';
/** An ingest task; its spec says where the bytes come from (URLs are signed only when a node asks). */
type IngestTask = Task<IngestKind>;

const URL_LIFETIME_S = 6 * 3600;

const statusOfStage: Record<string, MediaStatus> = {
  assemble: 'upload',
  import: 'import',
  convert: 'convert',
  prepare_thumbnails: 'prepare_thumbnails',
};

export class IngestService implements MediaIngestHook {
  constructor(
    private readonly work: WorkQueue,
    private readonly media: MediaService,
    private readonly store: ObjectStore,
    private readonly options: IngestOptions,
  ) {}

  /** `ingest` (stored and uploaded bytes) and `import_url` (bytes at an outside URL). */
  kinds(): Array<TaskKindDefinition<IngestKind>> {
    return (['ingest', 'import_url'] as const).map((kind) => ({
      kind,
      maxAttempts: this.options.maxAttempts,
      heartbeatTimeoutS: this.options.heartbeatTimeoutS,
      deadlineS: 6 * 3600,
      workOrder: (task) => this.workOrder(task),
      onProgress: (task) => this.onProgress(task),
      onComplete: (task, result) => this.onComplete(task, result),
      onFailed: (task) => this.onFailed(task),
      onAborted: (task) => this.onFailed(task),
    }));
  }

  /** MediaIngestHook: ingest an entry whose original is already stored (shared media, render outputs). */
  async requestIngest(row: MediaRow, db?: Kysely<DB>): Promise<void> {
    await this.submit(row, { kind: 'stored' }, 'ingest', db);
  }

  /** An upload is complete: join its chunks and ingest. Call inside the transaction that marked it complete. */
  async startUpload(row: MediaRow, parts: Array<{ key: string; skipBytes: number }>, db: Kysely<DB>): Promise<void> {
    await this.submit(row, { kind: 'upload', parts }, 'ingest', db);
  }

  /** Import the bytes at an outside URL (checked against the outbound rule by the node as it connects). */
  async startImport(row: MediaRow, url: string, maxBytes: number | undefined, db?: Kysely<DB>): Promise<void> {
    await this.submit(row, { kind: 'url', url, ...(maxBytes ? { maxBytes } : {}) }, 'import_url', db);
  }

  private async submit(row: MediaRow, source: IngestSource, kind: IngestKind, db?: Kysely<DB>): Promise<void> {
    const spec: StoredIngestSpec = { mediaId: row.id, source };
    const task = await this.work.submit({ kind, ownerId: row.owner_id, spec }, db);
    // A render output keeps the id of the editing task that made it (the editor API's `taskId` of an output).
    const taskId = row.type === 'output' && row.task_id !== null ? row.task_id : task.id;
    await this.media.update(row.id, { taskId, originalKey: row.original_key ?? this.originalKey(row) }, undefined, db);
  }

  /** After the transaction that started an ingest commits: let a dispatcher claim it now. */
  dispatchNow(): void {
    this.work.kick();
  }

  private originalKey(row: MediaRow): string {
    return this.media.objectKey(row, 'original', row.filetype);
  }

  private async workOrder(task: IngestTask): Promise<IngestSpec> {
    const { mediaId, source } = task.spec;
    const row = await this.media.find(mediaId);
    if (!row) throw new Error(`media ${mediaId} is gone`);
    const get = (key: string) => this.store.signedGetUrl(key, { expiresInS: URL_LIFETIME_S, audience: 'internal' });
    const put = (key: string) => this.store.signedPutUrl(key, { expiresInS: URL_LIFETIME_S, audience: 'internal' });
    const originalKey = row.original_key ?? this.originalKey(row);
    const spec: IngestSpec = {
      name: row.name,
      source:
        source.kind === 'stored'
          ? { url: await get(originalKey) }
          : source.kind === 'upload'
            ? { parts: await Promise.all(source.parts.map(async (p) => ({ url: await get(p.key), skipBytes: p.skipBytes }))) }
            : { url: source.url },
      ...(source.kind === 'url'
        ? { download: { policy: { allowPrivate: this.options.allowPrivateUrls }, ...(source.maxBytes ? { maxBytes: source.maxBytes } : {}) } }
        : {}),
      ...(source.kind === 'stored' ? {} : { original: { putUrl: await put(originalKey) } }),
      proxy: {
        putUrls: {
          mp4: await put(this.media.objectKey(row, 'proxy', 'mp4')),
          m4a: await put(this.media.objectKey(row, 'proxy', 'm4a')),
          png: await put(this.media.objectKey(row, 'proxy', 'png')),
        },
      },
      thumbnails: {
        putUrl: await put(this.media.objectKey(row, 'thumbnails', 'pack')),
        stepHns: this.options.thumbStepMs * 10_000,
        width: this.options.thumbWidth,
        height: this.options.thumbHeight,
      },
      scrub: { putUrl: await put(this.media.objectKey(row, 'scrub', 'mp4')) },
    };
    return spec;
  }

  private async onProgress(task: IngestTask): Promise<void> {
    const { mediaId } = task.spec;
    const status = task.stage ? statusOfStage[task.stage] : undefined;
    await this.media.update(mediaId, { ...(status ? { status } : {}), progress: Math.round(task.progress * 100) }, [
      'upload',
      'import',
      'convert',
      'prepare_thumbnails',
    ]);
  }

  private async onComplete(task: IngestTask, result: IngestResult): Promise<void> {
    const { mediaId, source } = task.spec;
    const row = await this.media.find(mediaId);
    if (!row) return;
    // Before `ready`: a render submitted the moment the file is ready finds it.
    if (result.probe) await this.media.saveProbe(mediaId, result.probe);
    await this.media.update(mediaId, {
      status: 'ready',
      progress: 100,
      error: null,
      filetype: result.filetype,
      mediaType: result.mediaType,
      durationHns: result.durationHns,
      sizeBytes: result.sizeBytes,
      width: result.width,
      height: result.height,
      audioTracks: result.audioTracks,
      thumbnail: result.thumbnail,
      originalKey: row.original_key ?? this.originalKey(row),
      proxyKey: result.proxyExtension ? this.media.objectKey(row, 'proxy', result.proxyExtension) : null,
      thumbnailsKey: result.thumbnails ? this.media.objectKey(row, 'thumbnails', 'pack') : null,
      thumbnailsIndex: result.thumbnails ? { stepHns: result.thumbnails.stepHns, offsets: result.thumbnails.offsets, scrub: result.thumbnails.scrub } : null,
    });
    if (source.kind === 'upload') await this.removeChunks(row);
  }

  private async onFailed(task: IngestTask): Promise<void> {
    const { mediaId, source } = task.spec;
    const row = await this.media.find(mediaId);
    if (!row) return;
    await this.media.update(mediaId, { status: failedStatus(row.status), error: mediaErrorOf(task.error, task.state) });
    if (source.kind === 'upload' && task.state !== 'aborted') await this.removeChunks(row);
  }

  private async removeChunks(row: MediaRow): Promise<void> {
    await this.store.deletePrefix(`${mediaObjectPrefix(row.owner_id, row.id)}upload/`);
  }
}

/**
 * The status a failed entry keeps: the working status it showed when it failed (progress reports
 * keep it current). A file that was already stored and listed as ready (a render output, shared
 * test media) failed while its thumbnails were prepared.
 */
function failedStatus(current: MediaStatus): MediaStatus {
  return current === 'ready' ? 'prepare_thumbnails' : current;
}

/** The editor API's media error object for a failed ingest. */
function mediaErrorOf(error: TaskError | null, state: string): MediaError {
  if (state === 'aborted') return { type: 'internal_server_error', message: 'the ingest was stopped', title: 'Stopped' };
  const code = error?.code ?? 'internal';
  const message = error?.message ?? 'the media could not be processed';
  if (code === 'unsupported_media') return { type: 'unsupported_media', message, title: 'Unsupported media' };
  if (code === 'exceeded_file_size') return { type: 'exceeded_file_size', message, title: 'File too large' };
  if (error?.type === 'download_error' && /answered 404/.test(message)) return { type: 'not_found', message, title: 'Not found' };
  return { type: 'internal_server_error', message, title: error?.type === 'download_error' ? 'Download failed' : 'Processing failed' };
}

export { URL_LIFETIME_S as INGEST_URL_LIFETIME_S };
