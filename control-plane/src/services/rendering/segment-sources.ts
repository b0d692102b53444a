import { probeMediaInfo, type ResolvedSource } from '@cutroom/render-node';
import type { ObjectStore } from '../../storage/object-store.js';
import type { MediaService } from '../library/media.js';
import type { SubmittedSource } from './render-sources.js';

/**
 * Where a segmented render's cuts may go depends on what the sources really are (their frame
 * rate above all), which the library's entries do not say. Before a long render is split, the
 * control plane probes its stored sources where they are, as a render node would; a render whose
 * sources cannot be probed here (a developer's media, which only nodes download) stays whole.
 */
export class SegmentSources {
  constructor(
    private readonly media: MediaService,
    private readonly storage: ObjectStore,
  ) {}

  /** Every source with its real probe; undefined when one cannot be probed here. */
  async probe(sources: ReadonlyMap<string, SubmittedSource>): Promise<Map<string, ResolvedSource> | undefined> {
    const probed = new Map<string, ResolvedSource>();
    for (const [src, source] of sources) {
      switch (source.ref.kind) {
        case 'overlay':
          // A still image: what its entry says is all that matters.
          probed.set(src, source);
          break;
        case 'media': {
          const row = await this.media.find(source.ref.mediaId);
          if (!row?.original_key) return undefined;
          const url = await this.storage.signedGetUrl(row.original_key, { expiresInS: 600, audience: 'internal' });
          try {
            probed.set(src, { input: src, probe: await probeMediaInfo(url, { signal: AbortSignal.timeout(30_000) }) });
          } catch {
            return undefined;
          }
          break;
        }
        case 'developer':
          return undefined;
      }
    }
    return probed;
  }
}
