import { badRequest } from './errors.js';

/**
 * `Content-Range` of a chunk upload: `bytes a-b/total` carries bytes a..b (inclusive) of a file
 * of `total` bytes; `bytes * /total` (without the space) with an empty body asks what the server has.
 */
export type ContentRange = { kind: 'chunk'; start: number; end: number; total: number } | { kind: 'query'; total: number };

export function parseContentRange(header: string | undefined): ContentRange {
  if (!header) throw badRequest('Content-Range: bytes <start>-<end>/<total> is required');
  const query = /^bytes \*\/(\d+)$/.exec(header.trim());
  if (query) {
    const total = Number(query[1]);
    if (!Number.isSafeInteger(total)) throw badRequest(`Content-Range ${JSON.stringify(header)} names a size past 2^53 bytes`);
    return { kind: 'query', total };
  }
  const chunk = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
  if (!chunk) throw badRequest(`Content-Range ${JSON.stringify(header)} is not of the form bytes <start>-<end>/<total>`);
  const [start, end, total] = [Number(chunk[1]), Number(chunk[2]), Number(chunk[3])];
  if (!Number.isSafeInteger(total) || end < start || end >= total) {
    throw badRequest(`Content-Range ${JSON.stringify(header)} is not a range inside the file`);
  }
  return { kind: 'chunk', start, end, total };
}

/** The `Range` answer header for a contiguous prefix of `receivedBytes` (none when nothing is in). */
export function receivedRangeHeader(receivedBytes: number): Record<string, string> {
  return receivedBytes > 0 ? { Range: `bytes=0-${receivedBytes - 1}` } : {};
}
