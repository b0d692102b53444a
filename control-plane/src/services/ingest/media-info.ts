import { checkOutboundUrl, OutboundRefused, type MediaInfoSpec } from '@cutroom/render-node';
import { badRequest, notFound } from '../../http/errors.js';
import type { TaskKindDefinition } from '../../work/task-kinds.js';
import type { WorkQueue } from '../../work/work-queue.js';
import type { TaskError } from '../../db/schema.js';

/**
 * Media info tasks for integrators (`/api/task/mediainfo`): a render node downloads the file
 * and answers the dev_media_file_entry_object fields and thumbnails.
 */

export interface MediaInfoOptions {
  allowPrivateUrls: boolean;
  thumbStepMs: number;
  thumbWidth: number;
  thumbHeight: number;
  maxThumbnails: number;
  maxAttempts: number;
  heartbeatTimeoutS: number;
}

export type MediaInfoStatus =
  { state: 'working'; progress: number } | { state: 'done'; answer: Record<string, unknown> } | { state: 'failed'; error: TaskError };

export class MediaInfoService {
  constructor(
    private readonly work: WorkQueue,
    private readonly options: MediaInfoOptions,
  ) {}

  kind(): TaskKindDefinition<'mediainfo'> {
    return {
      kind: 'mediainfo',
      maxAttempts: this.options.maxAttempts,
      heartbeatTimeoutS: this.options.heartbeatTimeoutS,
      deadlineS: 3600,
      workOrder: async (task) => task.spec,
    };
  }

  async create(developerId: string, request: { originalUrl: string; previewUrl?: string | undefined }): Promise<{ id: string }> {
    const policy = { allowPrivate: this.options.allowPrivateUrls };
    for (const [field, url] of Object.entries(request)) {
      if (url === undefined) continue;
      try {
        checkOutboundUrl(url, policy);
      } catch (error) {
        if (error instanceof OutboundRefused) throw badRequest(`${field}: ${error.message}`);
        throw error;
      }
    }
    const spec: MediaInfoSpec = {
      originalUrl: request.originalUrl,
      ...(request.previewUrl ? { previewUrl: request.previewUrl } : {}),
      policy,
      stepHns: this.options.thumbStepMs * 10_000,
      maxThumbnails: this.options.maxThumbnails,
      box: { width: this.options.thumbWidth, height: this.options.thumbHeight },
    };
    const task = await this.work.submit({ kind: 'mediainfo', developerId, spec });
    return { id: task.id };
  }

  async status(developerId: string, id: string): Promise<MediaInfoStatus> {
    const task = await this.work.store.get(id);
    if (!task || task.kind !== 'mediainfo' || task.developer_id !== developerId) throw notFound(`no media info task ${id}`);
    if (task.state === 'completed') return { state: 'done', answer: task.result ?? {} };
    if (task.state === 'error' || task.state === 'aborted') {
      return { state: 'failed', error: task.error ?? { type: 'engine_error', code: 'aborted', message: 'the task was aborted' } };
    }
    return { state: 'working', progress: Math.round(task.progress * 100) };
  }
}
