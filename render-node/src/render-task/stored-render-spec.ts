import type { OutputSettings } from '../engine/output-settings.js';
import type { SegmentWindow } from '../segments/segment-plan.js';

/**
 * What the control plane keeps of an editing task (the `spec` of a `render` task row): the
 * document, what every `src` was resolved to at submission, and where each output goes. URLs
 * are not kept: they are signed afresh for each attempt's work order and each status answer.
 * A render node never sees it; it is here so that one map (task-kinds.ts) names every shape of
 * a task's JSON.
 */
export interface StoredRenderSpec {
  xtl: string;
  /** Named in the render_start / render_complete callbacks. */
  projectId: string | null;
  sources: Record<string, SourceRef>;
  /** Overlay images the render reads: kept from the overlay clean-up while the task is active. */
  overlayIds: string[];
  /** One per group, in document order. */
  outputs: StoredOutput[];
  /** The developer's output bucket, when outputs go there too (keys are read when signing). */
  bucket: { developerId: string; name: string; endpoint: string | null } | null;
  /** A segmented render: its parts, rendered by tasks of their own, which its attempt joins. */
  segments?: StoredSegments;
}

export interface StoredSegments {
  groupIndex: number;
  /** The output's settings, which every part is encoded with. */
  settings: OutputSettings;
  parts: StoredPart[];
}

export interface StoredPart {
  /** The picture of a window of output frames, or the sound of the whole timeline. */
  part: 'picture' | 'sound';
  window?: SegmentWindow;
  /** Where the part is kept in the media store until the join (removed when the render ends). */
  key: string;
  contentType: string;
}

/** The `spec` of a part's task: what it renders, for which render. */
export interface StoredPartSpec extends StoredPart {
  /** The render (task id) this part belongs to. */
  partOf: string;
  xtl: string;
  sources: Record<string, SourceRef>;
  overlayIds: string[];
  groupIndex: number;
  settings: OutputSettings;
}

export type SourceRef =
  /** The user's own media or shared media. */
  | { kind: 'media'; mediaId: string }
  | { kind: 'overlay'; overlayId: string }
  /** A file of the user's developer, as its fetchFileUrl described it. */
  | { kind: 'developer'; fileId: string; previewUrl: string; allowPrivate: boolean };

export interface StoredOutput {
  groupIndex: number;
  /** The output's entry in the user's library (type `output`). */
  mediaId: string;
  name: string;
  /** Object key of the output in the media store. */
  key: string;
  contentType: string;
  /** Object key in the developer's bucket, when outputs go there. */
  bucketKey: string | null;
}
