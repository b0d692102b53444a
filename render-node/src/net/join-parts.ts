import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { downloadToFile } from './transfer.js';

/** A stored chunk of an upload, and how many of its first bytes an earlier chunk already holds. */
export interface UploadPart {
  url: string;
  skipBytes?: number;
}

/**
 * Downloads an upload's chunks in order and joins them into one file. Chunks may overlap (a
 * client re-sent a range): each part says how much of its start is already in. Answers the
 * file's size.
 */
export async function downloadParts(
  parts: UploadPart[],
  file: string,
  options: { signal: AbortSignal; onProgress?: (partsDone: number, partCount: number) => void },
): Promise<number> {
  const out = fs.createWriteStream(file);
  let sizeBytes = 0;
  try {
    for (const [i, part] of parts.entries()) {
      const partFile = `${file}.part`;
      const { sizeBytes: partBytes } = await downloadToFile(part.url, partFile, { signal: options.signal });
      const skip = part.skipBytes ?? 0;
      if (skip < partBytes) await pipeline(fs.createReadStream(partFile, { start: skip }), out, { end: false, signal: options.signal });
      await fs.promises.rm(partFile);
      sizeBytes += Math.max(0, partBytes - skip);
      options.onProgress?.(i + 1, parts.length);
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  return sizeBytes;
}
