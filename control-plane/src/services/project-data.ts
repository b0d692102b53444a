import type { ChunkedData } from '../db/projects-repository.js';
import type { JsonBytes } from '../http/json-body.js';
import { chunkData } from './data-chunks.js';
import { mediaIdsDigest, mediaIdTokens } from './media-id-tokens.js';

/** A project's data as it is stored, without its bytes: its chunks, and the media ids it mentions for the index. */
export type PreparedData = Omit<ChunkedData, 'bytes'>;

export function prepareData(bytes: JsonBytes | Uint8Array): PreparedData {
  const mediaIds = mediaIdTokens(bytes);
  return { chunks: chunkData(bytes), mediaIds, mediaDigest: mediaIdsDigest(mediaIds) };
}
