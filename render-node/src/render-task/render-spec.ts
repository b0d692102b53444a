import type { FfprobeResult } from '../ffmpeg/ffprobe.js';
import type { OutboundPolicy } from '../net/safe-fetch.js';

/**
 * The work order of a `render` task (an editing task) and what the node answers. The control
 * plane resolved and checked every source when the task was submitted; here each one comes as
 * something the node can read, with URLs signed for this attempt.
 */
export interface RenderTaskSpec {
  /** The XTL document as submitted; the node parses it again rather than trusting a digest. */
  xtl: string;
  /** How to reach every distinct `src` of the document. */
  sources: Record<string, RenderSourceSpec>;
  /** One per group, in document order (the order of `outputUrls`). */
  outputs: RenderOutputSpec[];
  /**
   * A directory on the filesystem of the outputs' `path`s (the media store's staging area), when
   * the node runs on the control plane's machine: the render works there, so that each output is
   * put in place by a rename rather than uploaded.
   */
  localWorkDir?: string;
}

/**
 * Where a render's source is. Stored media carry, in `probe`, ffprobe's answer from their ingest
 * (the bytes have not changed since), so the render starts without probing them again.
 */
export type RenderSourceSpec =
  /** Stored media: a signed URL that ffmpeg reads directly, seeking with Range requests. */
  | { kind: 'url'; url: string; probe?: FfprobeResult }
  /**
   * Stored media on this machine's disk (a node of the local dispatcher, objects under DATA_DIR):
   * ffmpeg reads the file in place.
   */
  | { kind: 'file'; path: string; probe?: FfprobeResult }
  /**
   * Media of the user's developer (its `previewUrl`): downloaded into scratch first, once per
   * task, while the task's stage is `downloading`.
   */
  | { kind: 'download'; url: string; policy: OutboundPolicy; timeoutMs: number; maxBytes?: number }
  /** Small files the control plane holds itself (overlay images), carried in the work order. */
  | { kind: 'inline'; base64: string; extension: string }
  /** Gone since the task was accepted (deleted meanwhile): the render fails with `source_unreadable`. */
  | { kind: 'missing'; reason: string };

export interface RenderOutputSpec {
  groupIndex: number;
  /** The type the signed PUT URLs were made for (they must be sent with it). */
  contentType: string;
  /** Signed PUT into the media library's store. */
  putUrl: string;
  /** Presigned PUT into the developer's output bucket, when outputs go there too. */
  bucketPutUrl?: string;
  /**
   * The object's file on this machine's disk (with `localWorkDir`): the output is renamed there
   * instead of being sent to `putUrl`.
   */
  path?: string;
  /** With `path`: the store's size limit (MAX_FILE_SIZE), which the signed PUT would enforce. */
  maxBytes?: number;
}

export interface RenderedOutputReport {
  groupIndex: number;
  sizeBytes: number;
  durationHns: number;
  width: number;
  height: number;
  hasVideo: boolean;
  /** The strategy that rendered it (`full`, `stream-copy`...). */
  strategy: string;
}

/**
 * Where a render task's time went on the node: instants (ms since the epoch, this machine's
 * clock) and, for the engine's own work, durations in ms.
 */
export interface RenderTaskTimings {
  /** The node process started. */
  nodeStartedAt: number;
  /** The node was given the task: at its start, or later for a node that was waiting warm. */
  assignedAt: number;
  /** The work order arrived. */
  workOrderAt: number;
  /** Every source readable and probed. */
  sourcesReadyAt: number;
  /** The engine finished (outputs on local disk). */
  renderedAt: number;
  /** The outputs were handed over (uploaded, or renamed into the store). */
  deliveredAt: number;
  planMs: number;
  probeMs: number;
  gopScanMs: number;
  encodeMs: number;
  joinMs: number;
  /** The encode phase by kind of step (re-encodes, copies, sound), each kind's steps summed. */
  partMs: { encode: number; copy: number; sound: number };
  /** CPU used until the outputs were rendered: by the node's ffmpeg and ffprobe, and by the node itself. */
  cpu?: { toolsMs: number | undefined; nodeMs: number };
}

export interface RenderTaskResult {
  outputs: RenderedOutputReport[];
  timings?: RenderTaskTimings;
}

/** Stages a render reports, as the editor API's task statuses name them. */
export const RENDER_STAGES = { downloading: 'downloading', running: 'running', uploading: 'uploading' } as const;
