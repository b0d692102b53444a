import type { PreparedJson } from '../cpu/body-analysis.js';
import { chunkData } from './data-chunks.js';
import { mediaIdsDigest, mediaIdTokens } from './media-id-tokens.js';

/** Data as it is stored, for data that did not come prepared (small bodies): its chunks, and the media ids it mentions. */
export function prepareData(bytes: Uint8Array): PreparedJson {
  const mediaIds = mediaIdTokens(bytes);
  return {
    chunks: chunkData(bytes).map(({ hash, start, end }) => ({ hash, start, end })),
    mediaIds,
    mediaDigest: mediaIdsDigest(mediaIds),
  };
}
