import type { FfprobeResult } from '../ffmpeg/ffprobe.js';
import type { OutboundPolicy } from '../net/safe-fetch.js';

/**
 * The `ingest` and `import_url` tasks: what the control plane keeps, the work order, and what
 * they answer.
 */

/** Where the bytes come from, as the control plane keeps it (URLs are signed only when a node asks). */
export type IngestSource =
  { kind: 'stored' } | { kind: 'upload'; parts: Array<{ key: string; skipBytes: number }> } | { kind: 'url'; url: string; maxBytes?: number };

/** The `spec` of an ingest task row: the media entry, and where its bytes are. */
export interface StoredIngestSpec {
  mediaId: string;
  source: IngestSource;
}

export interface IngestSpec {
  /** The file's display name (its extension helps name the container). */
  name: string;
  /**
   * Where the bytes are: one URL (a stored original, or an outside URL to import), or the
   * signed URLs of an upload's chunks in order, to be joined into the original.
   */
  source: { url: string } | { parts: Array<{ url: string; skipBytes?: number }> };
  /** Outside URLs only: the outbound policy and size limit to enforce while downloading. */
  download?: { policy: OutboundPolicy; maxBytes?: number; headers?: Record<string, string> };
  /** Where to store the original when the node assembled or downloaded it. */
  original?: { putUrl: string };
  /**
   * Where to store the browser-playable proxy, when one is needed, by the proxy's kind: `mp4`
   * (video), `m4a` (audio) or `png` (images). The node picks the one its probe calls for.
   */
  proxy: { putUrls: Record<'mp4' | 'm4a' | 'png', string> };
  /** Where to store the thumbnail pack, and its geometry. */
  thumbnails: { putUrl: string; stepHns: number; width: number; height: number };
  /** Where to store the scrub copy (small, every frame, short GOP) for exact thumbnails on demand. */
  scrub?: { putUrl: string };
}

export interface IngestResult {
  [key: string]: unknown;
  sizeBytes: number;
  filetype: string;
  mediaType: 'video' | 'audio' | 'image';
  durationHns: number;
  width: number;
  height: number;
  audioTracks: string[];
  /** Why a proxy was made; empty when the original plays in browsers. */
  proxyReasons: string[];
  proxyContentType: string | null;
  /** The proxy's kind (`mp4`, `m4a`, `png`), naming which of the proxy URLs was used. */
  proxyExtension: 'mp4' | 'm4a' | 'png' | null;
  /** Base64 PNG standing for the file. */
  thumbnail: string;
  /** The thumbnail pack's index; null for media without pictures. */
  thumbnails: { stepHns: number; count: number; offsets: number[]; scrub: boolean } | null;
  /** ffprobe's answer for the original: kept, so that a render of it need not probe it again. */
  probe?: FfprobeResult;
}
