import type { Request } from 'express';
import { z } from 'zod';
import { Reply } from '../http/route.js';
import { parseContentRange, receivedRangeHeader, type ContentRange } from '../http/content-range.js';

/**
 * The HTTP side of the editor API's resumable uploads, shared by `/api/upload/media` and
 * `/api/upload/project`: the chunk a PUT carries, and the answer (206 with `Range` while
 * incomplete, 200 when the file is in).
 */

export interface ChunkedUploadState {
  id: string;
  size: number;
  receivedBytes: number;
  complete: boolean;
  expiresAt: Date;
}

export const uploadStateSchema = z
  .object({
    id: z.string(),
    size: z.number(),
    receivedBytes: z.number().describe('The contiguous prefix received from byte 0.'),
    complete: z.boolean(),
    expireTime: z.number().describe('Unix ms; an incomplete session is removed, bytes and all, after this.'),
  })
  .meta({ id: 'UploadState', description: 'An upload session (extension)' });

/** `Content-Range`, which a chunk PUT must carry. */
export const CHUNK_REQUEST_HEADERS = {
  'Content-Range': {
    description: '`bytes <start>-<end>/<total>` for a chunk (end inclusive), or `bytes */<total>` with an empty body to ask the state',
    required: true,
  },
};

/** `Range`, the contiguous prefix the server holds, on every answer about a session. */
export const RANGE_RESPONSE_HEADERS = {
  Range: { description: '`bytes=0-<N>`: the bytes received from byte 0 (absent while none are); the truth to resume from' },
};

export const uploadStateBody = (s: ChunkedUploadState) => ({
  id: s.id,
  size: s.size,
  receivedBytes: s.receivedBytes,
  complete: s.complete,
  expireTime: s.expiresAt.getTime(),
});

export const CHUNK_PUT_DESCRIPTION =
  'Chunks may come in any order, repeated or in parallel. 206 with `Range: bytes=0-N` (the contiguous prefix received; no Range header while nothing is) until the file is complete, then 200. A dropped chunk stores nothing: ask the state and send again from there.';

/** The chunk of a PUT: its Content-Range and declared length. */
export function chunkOf(req: Request): { range: ContentRange; contentLength: number | undefined } {
  const range = parseContentRange(req.get('content-range'));
  const declared = req.get('content-length');
  return { range, contentLength: declared === undefined ? undefined : Number(declared) };
}

/** 200 when the whole file is in, else 206; `Range` tells the contiguous prefix. */
export function chunkReply(state: ChunkedUploadState): Reply {
  return new Reply(state.complete ? 200 : 206, uploadStateBody(state), receivedRangeHeader(state.receivedBytes));
}
