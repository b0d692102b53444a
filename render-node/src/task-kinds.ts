import type { FfprobeResult } from './ffmpeg/ffprobe.js';
import type { MediaInfoAnswer, MediaInfoSpec } from './ingest/media-info-task.js';
import type { IngestResult, IngestSpec, StoredIngestSpec } from './ingest/ingest-spec.js';
import type { ProjectImportResult, ProjectImportSpec, StoredProjectImportSpec } from './project-import/project-import-spec.js';
import type { RenderTaskResult, RenderTaskSpec } from './render-task/render-spec.js';
import type { StoredPartSpec, StoredRenderSpec } from './render-task/stored-render-spec.js';
import type { JoinTaskSpec, SegmentTaskResult, SegmentTaskSpec } from './segments/segment-spec.js';

/**
 * Every kind of task, and the three shapes of its JSON, named once for the control plane and
 * the render node alike:
 *   - `stored`: the spec the control plane keeps on the task (`tasks.spec`), from submission on;
 *   - `order`: the spec of the work order a render node fetches, made from the stored one at
 *     dispatch (URLs signed for the attempt);
 *   - `result`: what the node reports when it succeeds (`tasks.result`).
 * A kind's submission, work order, handler and completion hook are all typed from its entry, so
 * that one of them cannot drift from the others unnoticed.
 */
export interface TaskKinds {
  /**
   * An editing task, and the parts and join of a segmented one (segments/segment-spec.ts): a
   * part's row keeps a `StoredPartSpec` and its node answers a `SegmentTaskResult`.
   */
  render: {
    stored: StoredRenderSpec | StoredPartSpec;
    order: RenderTaskSpec | SegmentTaskSpec | JoinTaskSpec;
    result: RenderTaskResult | SegmentTaskResult;
  };
  /** Stored bytes and uploads. */
  ingest: { stored: StoredIngestSpec; order: IngestSpec; result: IngestResult };
  /** Bytes at an outside URL: the same pipeline as `ingest`. */
  import_url: { stored: StoredIngestSpec; order: IngestSpec; result: IngestResult };
  /** An integrator's file described by URL: the order is the spec as submitted. */
  mediainfo: { stored: MediaInfoSpec; order: MediaInfoSpec; result: MediaInfoAnswer };
  project_import: { stored: StoredProjectImportSpec; order: ProjectImportSpec; result: ProjectImportResult };
  /** ffprobe of a URL: the smallest kind, which exercises the whole path. */
  probe: { stored: ProbeSpec; order: ProbeSpec; result: ProbeResult };
}

export type TaskKind = keyof TaskKinds;

/** The spec the control plane keeps on a task of kind `K`. */
export type StoredSpec<K extends TaskKind> = TaskKinds[K]['stored'];
/** The spec of a work order of kind `K`. */
export type OrderSpec<K extends TaskKind> = TaskKinds[K]['order'];
/** What a node reports for a task of kind `K`. */
export type TaskResult<K extends TaskKind> = TaskKinds[K]['result'];

export interface ProbeSpec {
  url: string;
}

/** ffprobe's format and streams. */
export type ProbeResult = Pick<FfprobeResult, 'format' | 'streams'>;
