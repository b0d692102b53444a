import type { MediaInfo } from '../ffmpeg/media-info.js';
import { timelineSources, type XtlDocument } from '../xtl/model.js';
import { RenderError } from './render-error.js';

/** What ffmpeg may open for a source: files and http(s), not concat:, subfile:, data: and the like. */
export const INPUT_PROTOCOLS = 'file,http,https,tcp,tls,crypto';

/** A clip's `src` made concrete: something ffmpeg can open, and what ffprobe said about it. */
export interface ResolvedSource {
  /** Local path or URL ffmpeg reads. */
  input: string;
  probe: MediaInfo;
}

/** Turns a clip's `src` (a media id...) into a source; throws when the caller may not use it. */
export type SourceResolver = (src: string) => Promise<ResolvedSource>;

export type ResolvedSources = ReadonlyMap<string, ResolvedSource>;

/** Resolves every distinct source of the document once, before anything is rendered. */
export async function resolveSources(doc: XtlDocument, resolve: SourceResolver, signal?: AbortSignal): Promise<Map<string, ResolvedSource>> {
  const resolved = new Map<string, ResolvedSource>();
  for (const src of timelineSources(doc)) {
    if (signal?.aborted) throw new RenderError('aborted', 'the render was aborted');
    let source: ResolvedSource;
    try {
      source = await resolve(src);
    } catch (error) {
      if (error instanceof RenderError) throw error;
      throw new RenderError('source_unreadable', `source "${src}" could not be resolved: ${(error as Error).message}`, { cause: error });
    }
    if (!source.probe.hasVideo && !source.probe.hasAudio) {
      throw new RenderError('source_unreadable', `source "${src}" has neither video nor audio`);
    }
    resolved.set(src, source);
  }
  return resolved;
}
