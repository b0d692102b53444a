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
}

export type RenderSourceSpec =
  /** Stored media: a signed URL that ffmpeg reads directly, seeking with Range requests. */
  | { kind: 'url'; url: string }
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

export interface RenderTaskResult {
  [key: string]: unknown;
  outputs: RenderedOutputReport[];
}

/** Stages a render reports, as the seed's task statuses name them. */
export const RENDER_STAGES = { downloading: 'downloading', running: 'running', uploading: 'uploading' } as const;
