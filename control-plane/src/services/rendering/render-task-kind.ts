import type { Kysely } from 'kysely';
import type { FfprobeResult, OrderSpec, RenderOutputSpec, RenderSourceSpec, RenderTaskResult, SegmentTaskSpec } from '@cutroom/render-node';
import { CallbackOutboxRepository } from '../../db/callback-outbox-repository.js';
import { MediaRepository } from '../../db/media-repository.js';
import type { DB, MediaError } from '../../db/schema.js';
import { newId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import type { ObjectStore } from '../../storage/object-store.js';
import type { TaskKindDefinition } from '../../work/task-kinds.js';
import { TaskStore, type Task } from '../../work/task-store.js';
import type { MediaIngestHook } from '../ingest/media-ingest-hook.js';
import type { MediaService } from '../library/media.js';
import type { ObjectDeletionQueue } from '../library/object-deletion-queue.js';
import type { OverlayImagesService } from '../projects/overlay-images.js';
import type { OverlayPins } from '../projects/overlay-pins.js';
import type { RenderDelivery } from './render-delivery.js';
import { isPartSpec, renderResult, storedPartSpec, storedRenderSpec, type SourceRef, type StoredRenderSpec } from './render-task-spec.js';

type RenderTask = Task<'render'>;

/**
 * The `render` task kind: what a render node receives (every source and output as a URL signed
 * for this attempt), and how an editing task ends on the control plane:
 * - progress mirrors onto the output entries;
 * - completion records each stored output on its entry (ready, with size and duration), hands it
 *   to ingest (probe, thumbnails) without waiting for that, and raises `render_complete` with the download link in the
 *   same transaction that marks the task completed;
 * - failure puts the error on the output entries and raises `render_complete` with it (same
 *   transaction), then removes any output already stored;
 * - abort raises `render_complete` with the reason, then removes the output entries and objects.
 * Every hook is idempotent: after a crash the work system may run one again.
 *
 * A segmented render (docs/segmented-rendering.md) is a render task whose parts are render tasks too
 * (`parent_id`): each part's node renders a window of the picture, or the whole sound, into the
 * media store; the render's own attempt, claimed once every part completed, joins them by
 * stream copy and ends exactly as a whole render does. Parts raise no callback and touch no
 * entry; their objects go when the render ends, however it ends.
 */

export interface RenderKindOptions {
  maxAttempts: number;
  heartbeatTimeoutS: number;
  deadlineS: number;
  /** Developer media downloads: no answer or no bytes for this long fails them. */
  sourceDownloadTimeoutMs: number;
  /** Largest file a node downloads (MAX_FILE_SIZE; 0: no limit). */
  maxFileSizeBytes: number;
  /**
   * Render nodes run on this machine and the store keeps objects on its disk: sources are read
   * in place and outputs renamed into the store, with no HTTP between (the signed URLs stay in
   * the work order all the same).
   */
  localFiles?: boolean;
}

export class RenderTaskKind {
  private readonly mediaRows: MediaRepository;
  private readonly events: CallbackOutboxRepository;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly storage: ObjectStore,
    private readonly media: MediaService,
    private readonly overlays: OverlayImagesService,
    private readonly delivery: RenderDelivery,
    private readonly deletions: ObjectDeletionQueue,
    private readonly ingest: MediaIngestHook,
    private readonly options: RenderKindOptions,
    private readonly log: Logger,
  ) {
    this.mediaRows = new MediaRepository(db);
    this.events = new CallbackOutboxRepository(db);
  }

  definition(): TaskKindDefinition<'render'> {
    return {
      kind: 'render',
      maxAttempts: this.options.maxAttempts,
      heartbeatTimeoutS: this.options.heartbeatTimeoutS,
      deadlineS: this.options.deadlineS,
      workOrder: (task) => this.workOrder(task),
      onProgress: async (task) => {
        if (!isPartSpec(task.spec)) await this.mirrorProgress(task);
      },
      onComplete: (task, result) => (isPartSpec(task.spec) ? this.partStored(task) : this.complete(task, renderResult(result))),
      onFinal: async (task, trx) => {
        if (!isPartSpec(task.spec)) await this.final(task, trx);
      },
      onFailed: async (task) => {
        if (isPartSpec(task.spec)) return this.removePart(task);
        await this.delivery.removeObjects(storedRenderSpec(task.spec));
        await this.removeParts(storedRenderSpec(task.spec));
      },
      onAborted: async (task) => {
        if (isPartSpec(task.spec)) return this.removePart(task);
        await this.removeOutputs(task);
        await this.removeParts(storedRenderSpec(task.spec));
      },
    };
  }

  private async workOrder(task: RenderTask): Promise<OrderSpec<'render'>> {
    // Valid for the whole attempt, with a margin for a slow start.
    const expiresInS = this.options.deadlineS + 600;
    if (isPartSpec(task.spec)) return this.partOrder(task, expiresInS);
    const spec = storedRenderSpec(task.spec);
    if (spec.segments) {
      const { segments } = spec;
      const signed = (key: string) => this.storage.signedGetUrl(key, { expiresInS, audience: 'internal' });
      const sound = segments.parts.find((p) => p.part === 'sound');
      return {
        join: {
          groupIndex: segments.groupIndex,
          settings: segments.settings,
          pictures: await Promise.all(segments.parts.filter((p) => p.part === 'picture').map((p) => signed(p.key))),
          ...(sound ? { sound: await signed(sound.key) } : {}),
        },
        outputs: await this.outputSpecs(spec, expiresInS),
      };
    }
    const local = this.localStore();
    return {
      xtl: spec.xtl,
      sources: await this.sourceSpecs(task, spec.sources, expiresInS),
      outputs: await this.outputSpecs(spec, expiresInS),
      ...(local ? { localWorkDir: local.localStagingDir() } : {}),
    };
  }

  /** A part's order: the document, its sources, the window and where the part goes. */
  private async partOrder(task: RenderTask, expiresInS: number): Promise<SegmentTaskSpec> {
    const part = storedPartSpec(task.spec);
    return {
      xtl: part.xtl,
      sources: await this.sourceSpecs(task, part.sources, expiresInS),
      segment: {
        groupIndex: part.groupIndex,
        part: part.part,
        ...(part.window ? { window: part.window } : {}),
        settings: part.settings,
        putUrl: await this.storage.signedPutUrl(part.key, { expiresInS, contentType: part.contentType, audience: 'internal' }),
        contentType: part.contentType,
      },
    };
  }

  private async sourceSpecs(task: RenderTask, refs: Record<string, SourceRef>, expiresInS: number): Promise<Record<string, RenderSourceSpec>> {
    const sources: Record<string, RenderSourceSpec> = {};
    for (const [src, ref] of Object.entries(refs)) sources[src] = await this.sourceSpec(task, ref, expiresInS);
    return sources;
  }

  private async outputSpecs(spec: StoredRenderSpec, expiresInS: number): Promise<RenderOutputSpec[]> {
    const bucket = await this.delivery.bucketOf(spec);
    const local = this.localStore();
    try {
      return await Promise.all(
        spec.outputs.map(async (output) => ({
          groupIndex: output.groupIndex,
          contentType: output.contentType,
          putUrl: await this.storage.signedPutUrl(output.key, { expiresInS, contentType: output.contentType, audience: 'internal' }),
          ...(bucket && output.bucketKey ? { bucketPutUrl: await bucket.presignPut(output.bucketKey, output.contentType, expiresInS) } : {}),
          ...(local ? { path: local.localPath(output.key), ...(this.options.maxFileSizeBytes > 0 ? { maxBytes: this.options.maxFileSizeBytes } : {}) } : {}),
        })),
      );
    } finally {
      bucket?.destroy();
    }
  }

  /** A part's node is done: its object must be there for the join. */
  private async partStored(task: RenderTask): Promise<void> {
    const part = storedPartSpec(task.spec);
    if (!(await this.storage.head(part.key))) throw new Error(`segment ${part.key} was not stored`);
  }

  private async removePart(task: RenderTask): Promise<void> {
    await this.storage.delete(storedPartSpec(task.spec).key).catch(() => undefined);
  }

  /** A segmented render's parts, once it has ended (completed, failed or aborted). */
  private async removeParts(spec: StoredRenderSpec): Promise<void> {
    if (!spec.segments) return;
    await Promise.all(spec.segments.parts.map((p) => this.storage.delete(p.key).catch(() => undefined)));
  }

  private async sourceSpec(task: RenderTask, ref: SourceRef, expiresInS: number): Promise<RenderSourceSpec> {
    switch (ref.kind) {
      case 'media': {
        const row = await this.media.find(ref.mediaId);
        if (!row || row.original_key === null || (row.owner_id !== null && row.owner_id !== task.owner_id)) {
          return { kind: 'missing', reason: 'the media file was deleted after the task was submitted' };
        }
        // What ingest's probe said of these bytes, so the render node need not probe them again.
        const probe = (await this.media.probeOf(row.id)) as FfprobeResult | undefined;
        const local = this.localStore();
        if (local) return { kind: 'file', path: local.localPath(row.original_key), ...(probe ? { probe } : {}) };
        return { kind: 'url', url: await this.storage.signedGetUrl(row.original_key, { expiresInS, audience: 'internal' }), ...(probe ? { probe } : {}) };
      }
      case 'overlay': {
        const png = task.owner_id ? await this.overlays.read(task.owner_id, ref.overlayId) : undefined;
        if (!png) return { kind: 'missing', reason: 'the overlay image is gone' };
        return { kind: 'inline', base64: png.toString('base64'), extension: 'png' };
      }
      case 'developer':
        return {
          kind: 'download',
          url: ref.previewUrl,
          policy: { allowPrivate: ref.allowPrivate },
          timeoutMs: this.options.sourceDownloadTimeoutMs,
          ...(this.options.maxFileSizeBytes > 0 ? { maxBytes: this.options.maxFileSizeBytes } : {}),
        };
    }
  }

  /** The store's files, when render nodes may use them directly. */
  private localStore(): { localPath(key: string): string; localStagingDir(): string } | undefined {
    const { localPath, localStagingDir } = this.storage;
    if (!this.options.localFiles || !localPath || !localStagingDir) return undefined;
    return { localPath: (key) => localPath.call(this.storage, key), localStagingDir: () => localStagingDir.call(this.storage) };
  }

  private async mirrorProgress(task: RenderTask): Promise<void> {
    const progress = Math.floor(task.progress * 100);
    const ids = storedRenderSpec(task.spec).outputs.map((o) => o.mediaId);
    await this.mediaRows.setRenderProgress(ids, progress);
  }

  /** The node is done: record what it stored; ingest takes the outputs from there. */
  private async complete(task: RenderTask, result: RenderTaskResult): Promise<void> {
    const spec = storedRenderSpec(task.spec);
    // Every output is checked before any entry changes: a render is complete whole or not at all.
    const checked = await Promise.all(
      spec.outputs.map(async (output) => {
        const reported = result.outputs?.find((o) => o.groupIndex === output.groupIndex);
        const stored = await this.storage.head(output.key);
        if (!reported || !stored) throw new Error(`output ${output.groupIndex} was not stored`);
        return { output, reported, stored };
      }),
    );
    const ready: NonNullable<Awaited<ReturnType<MediaService['update']>>>[] = [];
    for (const { output, reported, stored } of checked) {
      const row = await this.media.update(
        output.mediaId,
        {
          originalKey: output.key,
          sizeBytes: stored.sizeBytes,
          durationHns: reported.durationHns,
          mediaType: reported.hasVideo ? 'video' : 'audio',
          width: reported.width,
          height: reported.height,
          status: 'ready',
          progress: 100,
          error: null,
        },
        ['render', 'ready'],
      );
      if (!row) {
        // The user deleted the entry while it rendered: its bytes go too.
        await this.storage.delete(output.key).catch(() => undefined);
        continue;
      }
      ready.push(row);
    }
    // Ingest (probe, poster, strip) follows on its own: `completed` does not wait for it.
    for (const row of ready) {
      void this.ingest.requestIngest(row).catch((error: unknown) => {
        // The output is stored and listed; only its thumbnails are missing.
        this.log.error({ err: error, mediaId: row.id, taskId: task.id }, 'could not hand a render output to ingest');
      });
    }
    // The output is whole: the segments it was joined from are of no more use.
    await this.removeParts(spec);
  }

  /** Rows written atomically with the task's end: the output entries' error and the callback event. */
  private async final(task: RenderTask, trx: Kysely<DB>): Promise<void> {
    const spec = storedRenderSpec(task.spec);
    // The editor API's strings: "" for a project, link or error there is none of.
    let payload: { projectId: string; downloadUrl: string; error: string };
    if (task.state === 'completed') {
      const [downloadUrl] = await this.delivery.outputUrls(spec, trx);
      payload = { projectId: spec.projectId ?? '', downloadUrl: downloadUrl ?? '', error: '' };
    } else {
      const message = task.state === 'aborted' ? 'the render was aborted' : (task.error?.message ?? 'the render failed');
      if (task.state === 'error') {
        // Entries a failed completion had already marked ready go back too: their bytes are
        // removed next (onFailed), and no entry may point at missing bytes.
        const error: MediaError = { type: task.error?.type ?? 'engine_error', message, title: 'Render failed' };
        await this.mediaRows.markRenderFailed(
          trx,
          spec.outputs.map((o) => o.mediaId),
          error,
        );
      }
      payload = { projectId: spec.projectId ?? '', downloadUrl: '', error: message };
    }
    if (task.owner_id === null) return;
    await this.events.raise({ id: newId(), userId: task.owner_id, type: 'render_complete', payload }, trx);
  }

  /** An aborted render leaves nothing: its output entries (still rendering) and whatever was stored. */
  private async removeOutputs(task: RenderTask): Promise<void> {
    const spec = storedRenderSpec(task.spec);
    const ids = spec.outputs.map((o) => o.mediaId);
    const queued = await this.db.transaction().execute(async (trx) => {
      const rows = await this.mediaRows.lockRendering(trx, ids);
      return this.media.removeRows(trx, rows);
    });
    await this.deletions.drain(queued);
    await this.delivery.removeObjects(spec);
  }
}

/** Overlay images read by renders that are not over yet: the overlay clean-up leaves them. */
export function renderOverlayPins(db: Kysely<DB>): OverlayPins {
  const tasks = new TaskStore(db);
  return { pinned: () => tasks.overlayIdsOfActiveRenders() };
}
