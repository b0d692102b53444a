import type { MediaRow } from '../../db/media-repository.js';

/**
 * Where the media library hands an entry whose bytes are stored to ingest (probe, proxy,
 * thumbnails). The library itself only knows what a file's extension and size say; the ingest
 * pipeline implements this hook and is wired in the composition root.
 */
export interface MediaIngestHook {
  requestIngest(media: MediaRow): Promise<void>;
}

/** No ingest: entries keep what the extension and size told (duration and dimensions stay 0). */
export const noMediaIngest: MediaIngestHook = {
  async requestIngest() {},
};
