/**
 * Which bytes of an upload are in, from the chunks received (out of order, repeated or
 * overlapping), and how to join them into the file.
 */

export interface ReceivedChunk {
  start: number;
  /** Inclusive. */
  end: number;
  key: string;
}

/** How many bytes from byte 0 are received without a gap. */
export function contiguousPrefix(chunks: ReceivedChunk[]): number {
  let next = 0;
  for (const chunk of [...chunks].sort((a, b) => a.start - b.start || b.end - a.end)) {
    if (chunk.start > next) break;
    next = Math.max(next, chunk.end + 1);
  }
  return next;
}

/**
 * The chunks that make the file from byte 0 to `size`, in order, each with how many of its
 * first bytes an earlier part already holds. Undefined while there is a gap.
 */
export function assemblyParts(chunks: ReceivedChunk[], size: number): Array<{ key: string; skipBytes: number }> | undefined {
  const parts: Array<{ key: string; skipBytes: number }> = [];
  let next = 0;
  const ordered = [...chunks].sort((a, b) => a.start - b.start || b.end - a.end);
  while (next < size) {
    // Of the chunks that start at or before the next byte needed, the one reaching furthest.
    let best: ReceivedChunk | undefined;
    for (const chunk of ordered) {
      if (chunk.start > next) break;
      if (chunk.end >= next && (!best || chunk.end > best.end)) best = chunk;
    }
    if (!best) return undefined;
    parts.push({ key: best.key, skipBytes: next - best.start });
    next = best.end + 1;
  }
  return parts;
}
