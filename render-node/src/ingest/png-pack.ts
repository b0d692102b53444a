/**
 * A thumbnail pack is PNG files back to back, as ffmpeg's image2pipe writes them; its index is
 * the byte offset where each one starts (plus the total length). One object and one small index
 * instead of thousands of rows.
 */

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Offsets of each PNG in a pack, and the pack's length last. Walks chunk headers, not pixels. */
export function indexPngPack(pack: Buffer): number[] {
  const offsets: number[] = [];
  let at = 0;
  while (at < pack.length) {
    if (!pack.subarray(at, at + 8).equals(SIGNATURE)) throw new Error(`no PNG signature at byte ${at} of the pack`);
    offsets.push(at);
    at += 8;
    for (;;) {
      if (at + 8 > pack.length) throw new Error('the pack ends inside a PNG');
      const length = pack.readUInt32BE(at);
      const type = pack.toString('latin1', at + 4, at + 8);
      at += 12 + length;
      if (type === 'IEND') break;
    }
  }
  offsets.push(pack.length);
  return offsets;
}
