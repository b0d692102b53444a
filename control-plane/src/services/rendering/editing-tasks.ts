import type { Kysely } from 'kysely';
import {
  CONTAINER_MIME_TYPES,
  checkTimeline,
  hasGpuEncoder,
  audioContainerFor,
  parseXtl,
  planSegments,
  RenderError,
  XtlError,
  type OutputSettings,
  type SegmentOptions,
  type SegmentWindow,
  type XtlDocument,
} from '@cutroom/render-node';
import { CallbackOutboxRepository } from '../../db/callback-outbox-repository.js';
import { DevelopersRepository } from '../../db/developers-repository.js';
import { ProjectsRepository } from '../../db/projects-repository.js';
import type { DB, TaskError } from '../../db/schema.js';
import { badRequest, notFound } from '../../http/errors.js';
import { newId } from '../../ids.js';
import { DeveloperBucket } from '../../integrator-systems/developer-bucket.js';
import type { WorkQueue } from '../../work/work-queue.js';
import type { Task, TaskRow } from '../../work/task-store.js';
import type { MediaService } from '../library/media.js';
import type { RenderDelivery } from './render-delivery.js';
import type { SegmentSources } from './segment-sources.js';
import type { RenderSources, RenderUser, SubmittedSource } from './render-sources.js';
import { storedRenderSpec, type StoredOutput, type StoredPart, type StoredPartSpec, type StoredRenderSpec } from './render-task-spec.js';

/**
 * Editing tasks (`/api/task/editing`): a render of an XTL document into one output per group.
 * Submission checks everything first (the document, every source, the timeline against what is
 * known of its sources) and then, in one transaction, makes the output entries of the user's
 * library, the task and the `render_start` event. The task kind's hooks (render-task-kind.ts)
 * carry it to its end.
 */

export type EditingStatus = 'downloading' | 'running' | 'uploading' | 'completed' | 'aborted' | 'error';

export interface EditingTaskStatus {
  id: string;
  /** Percent across the whole task (downloads, render, uploads). */
  progress: number;
  status: EditingStatus;
  error: TaskError | null;
  outputUrls: string[];
}

export interface EditingTasksOptions {
  /** Render tasks ask for GPU encoding. */
  gpu: boolean;
  /** Long timelines are rendered in segments by several nodes (RENDER_SEGMENT_SECONDS...); unset: always whole. */
  segments?: SegmentOptions & { sources: SegmentSources };
}

export class EditingTasks {
  private readonly projects: ProjectsRepository;
  private readonly developers: DevelopersRepository;
  private readonly events: CallbackOutboxRepository;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly work: WorkQueue,
    private readonly media: MediaService,
    private readonly sources: RenderSources,
    private readonly delivery: RenderDelivery,
    private readonly options: EditingTasksOptions,
  ) {
    this.projects = new ProjectsRepository(db);
    this.developers = new DevelopersRepository(db);
    this.events = new CallbackOutboxRepository(db);
  }

  async create(user: RenderUser, request: { xtl_task: string; projectId?: string | null | undefined }): Promise<{ taskId: string; fileId: string }> {
    const doc = parse(request.xtl_task);
    const projectId = await this.projectOf(user.id, request.projectId || doc.projectId);
    const sources = await this.sources.resolve(user, doc);
    let settings: OutputSettings[];
    try {
      settings = checkTimeline(doc, sources);
    } catch (error) {
      if (error instanceof RenderError) throw badRequest(error.message);
      throw error;
    }
    const bucket = await this.outputBucketOf(user);
    const taskId = newId();
    const names = outputNames(doc, settings);
    const segmenting = await this.segmenting(doc, sources, settings);
    const gpu = this.options.gpu && settings.some(hasGpuEncoder);

    const fileId = await this.db.transaction().execute(async (trx) => {
      const outputs: StoredOutput[] = [];
      for (const [index, group] of doc.groups.entries()) {
        const output = settings[index]!;
        const extension = output.container;
        const row = await this.media.create(
          {
            ownerId: user.id,
            name: names[index]!,
            type: 'output',
            status: 'render',
            filetype: extension,
            mediaType: output.hasVideo ? 'video' : 'audio',
            durationHns: output.durationHns,
            width: output.hasVideo ? output.width : 0,
            height: output.hasVideo ? output.height : 0,
            taskId,
            // Size 0 now: refused only when the user is already over the limit.
            sizeBytes: 0,
          },
          trx,
        );
        outputs.push({
          groupIndex: group.index,
          mediaId: row.id,
          name: row.name,
          key: this.media.objectKey(row, 'original', extension),
          contentType: CONTAINER_MIME_TYPES[output.container],
          bucketKey: bucket ? DeveloperBucket.outputKey(taskId, row.name, index, doc.groups.length) : null,
        });
      }
      // Only H.264 and HEVC have NVENC encoders: other renders would hold a GPU node for nothing.
      const spec: StoredRenderSpec = {
        xtl: request.xtl_task,
        projectId,
        sources: Object.fromEntries([...sources].map(([src, source]) => [src, source.ref])),
        overlayIds: [...sources.values()].flatMap((s) => (s.ref.kind === 'overlay' ? [s.ref.overlayId] : [])),
        outputs,
        bucket,
      };
      const parts = segmenting ? segmentParts(taskId, segmenting.windows, segmenting.settings) : [];
      if (segmenting) spec.segments = { groupIndex: doc.groups[0]!.index, settings: segmenting.settings, parts };
      await this.work.submit({ id: taskId, kind: 'render', ownerId: user.id, developerId: user.developerId, spec, gpu }, trx);
      // The parts are render tasks of their own, which any dispatcher runs side by side.
      for (const part of parts) {
        const partSpec: StoredPartSpec = {
          ...part,
          partOf: taskId,
          xtl: spec.xtl,
          sources: spec.sources,
          overlayIds: spec.overlayIds,
          groupIndex: doc.groups[0]!.index,
          settings: segmenting!.settings,
        };
        await this.work.submit(
          {
            kind: 'render',
            ownerId: user.id,
            developerId: user.developerId,
            spec: partSpec,
            gpu: gpu && part.part === 'picture',
            parentId: taskId,
          },
          trx,
        );
      }
      await this.events.raise({ id: newId(), userId: user.id, type: 'render_start', payload: { projectId: projectId ?? '' } }, trx);
      return outputs[0]!.mediaId;
    });
    if (segmenting) await this.work.store.note(taskId, `segmented render: ${segmenting.reason}, joined by stream copy`);
    this.work.kick();
    // One id answers for the task, as in the editor API: the first group's output (the others are listed in outputUrls).
    return { taskId, fileId };
  }

  /**
   * Where a long render is split (docs/segmented-rendering.md): planned on the sources'
   * real probes, with the output settings they give (every part is encoded with them).
   */
  private async segmenting(
    doc: XtlDocument,
    estimated: ReadonlyMap<string, SubmittedSource>,
    estimatedSettings: OutputSettings[],
  ): Promise<{ windows: SegmentWindow[]; settings: OutputSettings; reason: string } | undefined> {
    const options = this.options.segments;
    if (!options || options.segmentSeconds <= 0) return undefined;
    // What the library says decides whether a closer look is worth it.
    if (!planSegments(doc, estimated, estimatedSettings, { ...options, estimate: true }).segmented) return undefined;
    const probed = await options.sources.probe(estimated);
    if (!probed) return undefined;
    let settings: OutputSettings[];
    try {
      settings = checkTimeline(doc, probed);
    } catch {
      return undefined;
    }
    const decision = planSegments(doc, probed, settings, options);
    return decision.segmented ? { windows: decision.windows, settings: settings[0]!, reason: decision.reason } : undefined;
  }

  async status(userId: string, id: string): Promise<EditingTaskStatus> {
    const task = await this.own(userId, id);
    const spec = storedRenderSpec(task.spec);
    const status = statusOf(task);
    return {
      id: task.id,
      progress: status === 'completed' ? 100 : Math.floor(task.progress * 100),
      status,
      // An abort is the answer even when an earlier attempt had failed.
      error: status === 'aborted' ? abortedError : status === 'error' ? task.error : null,
      outputUrls: status === 'completed' ? await this.delivery.outputUrls(spec) : [],
    };
  }

  /** Stops a task: its node within seconds, its output entries and partial objects removed. */
  async abort(userId: string, id: string): Promise<{ status: '' }> {
    await this.own(userId, id);
    await this.work.abort(id, userId);
    return { status: '' };
  }

  /**
   * The project the render callbacks name: the one the request names (its `projectId`, else the
   * document's `<timelines projectId>`), which must be the user's; else the project the user
   * saved last (the editor autosaves the project it renders); null when the user has none.
   */
  private async projectOf(userId: string, named: string | undefined | null): Promise<string | null> {
    if (named) {
      if (!(await this.projects.isOwn(named, userId))) throw notFound(`no project ${named}`);
      return named;
    }
    return (await this.projects.lastSavedId(userId)) ?? null;
  }

  private async own(userId: string, id: string): Promise<Task<'render'>> {
    const task = await this.work.store.get(id);
    // A segment of a segmented render is no editing task of its own.
    if (!task || task.kind !== 'render' || task.owner_id !== userId || task.parent_id !== null) throw notFound(`no editing task ${id}`);
    return task;
  }

  private async outputBucketOf(user: RenderUser): Promise<StoredRenderSpec['bucket']> {
    if (user.developerId === null) return null;
    const bucket = await this.developers.outputBucketOf(user.developerId);
    return bucket ? { developerId: user.developerId, name: bucket.awsBucketName, endpoint: bucket.awsEndPoint ?? null } : null;
  }
}

const abortedError: TaskError = { type: 'engine_error', code: 'aborted', message: 'the task was aborted' };

function parse(xtl: string): XtlDocument {
  try {
    return parseXtl(xtl);
  } catch (error) {
    if (error instanceof XtlError) throw badRequest(error.message);
    throw error;
  }
}

/** The editor API's status words: the node's stage while it works; `uploading` while outputs are finished. */
function statusOf(task: TaskRow): EditingStatus {
  switch (task.state) {
    case 'completed':
      return 'completed';
    case 'aborted':
      return 'aborted';
    case 'error':
      return 'error';
    case 'completing':
      return 'uploading';
    case 'running':
      return task.stage === 'downloading' || task.stage === 'uploading' ? task.stage : 'running';
    default:
      // Queued, or waiting for a retry: the render is under way as far as the editor is concerned.
      return 'running';
  }
}

/** A segmented render's parts: each window's picture, then the sound, kept under the render's id. */
function segmentParts(taskId: string, windows: { startFrame: number; endFrame: number }[], settings: OutputSettings): StoredPart[] {
  const pictureExtension = settings.container;
  const parts: StoredPart[] = windows.map((window, i) => ({
    part: 'picture',
    window,
    key: `segments/${taskId}/picture-${String(i).padStart(4, '0')}.${pictureExtension}`,
    contentType: CONTAINER_MIME_TYPES[settings.container],
  }));
  if (settings.hasAudio) {
    const container = audioContainerFor(settings);
    parts.push({ part: 'sound', key: `segments/${taskId}/sound.${container}`, contentType: CONTAINER_MIME_TYPES[container] });
  }
  return parts;
}

/** The group's `output` attribute, else `output_<date>_<time>[-n].<container>`. */
function outputNames(doc: XtlDocument, settings: OutputSettings[]): string[] {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return doc.groups.map((group, index) => {
    if (group.output?.trim()) return group.output.trim();
    const suffix = doc.groups.length > 1 ? `-${index + 1}` : '';
    return `output_${stamp}${suffix}.${settings[index]!.container}`;
  });
}
