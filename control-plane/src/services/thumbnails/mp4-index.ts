/**
 * The sample index of an MP4's first H.264 video track, read from its `moov` box: where each
 * frame's bytes are, when it is shown, which frames are keyframes, and the decoder's parameter
 * sets. With it an exact frame is found without ffmpeg's demuxer: read the bytes from the
 * keyframe before it up to it, and hand them to a decoder that is already running.
 *
 * Only what the scrub copy made at ingest needs is understood (one H.264 track, frames in
 * presentation order, at most one edit); anything else answers `undefined` and the caller
 * extracts the frame the slow way.
 */

export interface Mp4Sample {
  /** Byte offset in the file. */
  offset: number;
  size: number;
  /** Presentation time, seconds. */
  timeS: number;
  keyframe: boolean;
}

export interface Mp4VideoIndex {
  samples: Mp4Sample[];
  /** Bytes of each NAL unit's length prefix in the samples (1, 2 or 4). */
  nalLengthSize: number;
  /** Sequence and picture parameter sets (NAL units without prefix). */
  parameterSets: Buffer[];
  width: number;
  height: number;
}

interface Box {
  type: string;
  /** Start of the payload. */
  start: number;
  end: number;
}

function* boxes(data: Buffer, start: number, end: number): Generator<Box> {
  let at = start;
  while (at + 8 <= end) {
    let size = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) return;
      size = Number(data.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) return;
    yield { type, start: at + header, end: at + size };
    at += size;
  }
}

function child(data: Buffer, parent: Box, type: string): Box | undefined {
  for (const box of boxes(data, parent.start, parent.end)) if (box.type === type) return box;
  return undefined;
}

function path(data: Buffer, parent: Box, ...types: string[]): Box | undefined {
  let box: Box | undefined = parent;
  for (const type of types) {
    box = box && child(data, box, type);
  }
  return box;
}

/**
 * Where the `moov` box is, from the first bytes of a file: `{start, end}` of the whole box when
 * its header is among them, else undefined (no `moov` before the media data).
 */
export function locateMoov(head: Buffer): { start: number; end: number } | undefined {
  let at = 0;
  while (at + 8 <= head.length) {
    let size = head.readUInt32BE(at);
    const type = head.toString('latin1', at + 4, at + 8);
    if (size === 1) {
      if (at + 16 > head.length) return undefined;
      size = Number(head.readBigUInt64BE(at + 8));
    }
    if (type === 'moov') return { start: at, end: at + size };
    // A moov after the media data (no faststart) is not looked for.
    if (size < 8 || type === 'mdat') return undefined;
    at += size;
  }
  return undefined;
}

/** The index of the first video track of a `moov` box (the whole box, header included). */
export function parseMp4VideoIndex(moov: Buffer): Mp4VideoIndex | undefined {
  const [root] = [...boxes(moov, 0, moov.length)];
  if (!root || root.type !== 'moov') return undefined;
  const mvhd = child(moov, root, 'mvhd');
  const movieTimescale = mvhd ? moov.readUInt32BE(mvhd.start + (moov[mvhd.start] === 1 ? 20 : 12)) : 0;
  for (const trak of boxes(moov, root.start, root.end)) {
    if (trak.type !== 'trak') continue;
    const hdlr = path(moov, trak, 'mdia', 'hdlr');
    if (!hdlr || moov.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'vide') continue;
    return trackIndex(moov, trak, movieTimescale);
  }
  return undefined;
}

function trackIndex(data: Buffer, trak: Box, movieTimescale: number): Mp4VideoIndex | undefined {
  const mdhd = path(data, trak, 'mdia', 'mdhd');
  const stbl = path(data, trak, 'mdia', 'minf', 'stbl');
  if (!mdhd || !stbl) return undefined;
  const timescale = data.readUInt32BE(mdhd.start + (data[mdhd.start] === 1 ? 20 : 12));
  if (timescale === 0) return undefined;

  // The sample description: H.264 only, with its parameter sets.
  const stsd = child(data, stbl, 'stsd');
  if (!stsd) return undefined;
  const [entry] = [...boxes(data, stsd.start + 8, stsd.end)];
  if (!entry || (entry.type !== 'avc1' && entry.type !== 'avc3')) return undefined;
  const width = data.readUInt16BE(entry.start + 24);
  const height = data.readUInt16BE(entry.start + 26);
  const avcC = child(data, { ...entry, start: entry.start + 78 }, 'avcC');
  if (!avcC) return undefined;
  const nalLengthSize = (data[avcC.start + 4]! & 3) + 1;
  if (nalLengthSize === 3) return undefined;
  const parameterSets: Buffer[] = [];
  let at = avcC.start + 5;
  for (const countMask of [0x1f, 0xff]) {
    const count = data[at]! & countMask;
    at += 1;
    for (let i = 0; i < count; i++) {
      const length = data.readUInt16BE(at);
      parameterSets.push(Buffer.from(data.subarray(at + 2, at + 2 + length)));
      at += 2 + length;
    }
  }

  // Sizes.
  const stsz = child(data, stbl, 'stsz');
  if (!stsz) return undefined;
  const fixedSize = data.readUInt32BE(stsz.start + 4);
  const count = data.readUInt32BE(stsz.start + 8);
  const sizes = Array.from({ length: count }, (_, i) => (fixedSize !== 0 ? fixedSize : data.readUInt32BE(stsz.start + 12 + 4 * i)));

  // Offsets: chunks, and how many samples each chunk holds.
  const stco = child(data, stbl, 'stco');
  const co64 = child(data, stbl, 'co64');
  const chunkOffsets: number[] = [];
  if (stco) for (let i = 0, n = data.readUInt32BE(stco.start + 4); i < n; i++) chunkOffsets.push(data.readUInt32BE(stco.start + 8 + 4 * i));
  else if (co64) for (let i = 0, n = data.readUInt32BE(co64.start + 4); i < n; i++) chunkOffsets.push(Number(data.readBigUInt64BE(co64.start + 8 + 8 * i)));
  else return undefined;
  const stsc = child(data, stbl, 'stsc');
  if (!stsc) return undefined;
  const runs = Array.from({ length: data.readUInt32BE(stsc.start + 4) }, (_, i) => ({
    firstChunk: data.readUInt32BE(stsc.start + 8 + 12 * i) - 1,
    perChunk: data.readUInt32BE(stsc.start + 12 + 12 * i),
  }));
  const offsets: number[] = [];
  for (let r = 0; r < runs.length && offsets.length < count; r++) {
    const lastChunk = r + 1 < runs.length ? runs[r + 1]!.firstChunk : chunkOffsets.length;
    for (let chunk = runs[r]!.firstChunk; chunk < lastChunk && offsets.length < count; chunk++) {
      let offset = chunkOffsets[chunk];
      if (offset === undefined) return undefined;
      for (let s = 0; s < runs[r]!.perChunk && offsets.length < count; s++) {
        offsets.push(offset);
        offset += sizes[offsets.length - 1]!;
      }
    }
  }
  if (offsets.length !== count) return undefined;

  // Times: decode times, composition offsets, and the edit that shifts them.
  const stts = child(data, stbl, 'stts');
  if (!stts) return undefined;
  const decodeTimes: number[] = [];
  let t = 0;
  for (let i = 0, n = data.readUInt32BE(stts.start + 4); i < n; i++) {
    const runCount = data.readUInt32BE(stts.start + 8 + 8 * i);
    const delta = data.readUInt32BE(stts.start + 12 + 8 * i);
    for (let j = 0; j < runCount && decodeTimes.length < count; j++, t += delta) decodeTimes.push(t);
  }
  if (decodeTimes.length !== count) return undefined;
  const ctts = child(data, stbl, 'ctts');
  const compositionOffsets = new Array<number>(count).fill(0);
  if (ctts) {
    const signed = data[ctts.start] === 1;
    let s = 0;
    for (let i = 0, n = data.readUInt32BE(ctts.start + 4); i < n; i++) {
      const runCount = data.readUInt32BE(ctts.start + 8 + 8 * i);
      const offset = signed ? data.readInt32BE(ctts.start + 12 + 8 * i) : data.readUInt32BE(ctts.start + 12 + 8 * i);
      for (let j = 0; j < runCount && s < count; j++) compositionOffsets[s++] = offset;
    }
  }
  let shiftS = 0;
  const elst = path(data, trak, 'edts', 'elst');
  if (elst) {
    const version = data[elst.start]!;
    const entries = data.readUInt32BE(elst.start + 4);
    const entrySize = version === 1 ? 20 : 12;
    let nonEmpty = 0;
    for (let i = 0; i < entries; i++) {
      const base = elst.start + 8 + entrySize * i;
      const duration = version === 1 ? Number(data.readBigUInt64BE(base)) : data.readUInt32BE(base);
      const mediaTime = version === 1 ? Number(data.readBigInt64BE(base + 8)) : data.readInt32BE(base + 4);
      if (mediaTime === -1) {
        if (movieTimescale === 0) return undefined;
        shiftS += duration / movieTimescale;
      } else {
        if (++nonEmpty > 1) return undefined;
        shiftS -= mediaTime / timescale;
      }
    }
  }

  // Keyframes: all of them when there is no sync sample table.
  const stss = child(data, stbl, 'stss');
  const keyframes = new Array<boolean>(count).fill(!stss);
  if (stss) for (let i = 0, n = data.readUInt32BE(stss.start + 4); i < n; i++) keyframes[data.readUInt32BE(stss.start + 8 + 4 * i) - 1] = true;

  const samples = offsets.map((offset, i) => ({
    offset,
    size: sizes[i]!,
    timeS: (decodeTimes[i]! + compositionOffsets[i]!) / timescale + shiftS,
    keyframe: keyframes[i]!,
  }));
  // Frames shown out of decode order (B-frames) would need the decoder's reordering: not here.
  for (let i = 1; i < samples.length; i++) if (samples[i]!.timeS <= samples[i - 1]!.timeS) return undefined;
  if (samples.length === 0 || !samples[0]!.keyframe) return undefined;
  return { samples, nalLengthSize, parameterSets, width, height };
}

/**
 * Which samples to decode for the frame shown at `timeS`: the first frame shown at or after
 * it (as ffmpeg's `-ss` answers), the last frame past the end; from the keyframe before it.
 */
export function framesFor(index: Mp4VideoIndex, timeS: number): { first: number; target: number } {
  const { samples } = index;
  // Half a millisecond of slack for times rounded to 100 ns units.
  const wanted = timeS - 0.0005;
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.timeS < wanted) lo = mid + 1;
    else hi = mid;
  }
  const target = Math.min(lo, samples.length - 1);
  let first = target;
  while (first > 0 && !samples[first]!.keyframe) first--;
  return { first, target };
}

const START_CODE = Buffer.from([0, 0, 0, 1]);
/** An access unit delimiter: it ends the frame before it for the decoder's parser at once. */
export const ACCESS_UNIT_DELIMITER = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);

/**
 * The samples `first..target` as an H.264 Annex B stream (start codes, parameter sets before
 * the keyframe), ending with an access unit delimiter. `bytes` holds the file from `base` on.
 */
export function annexB(index: Mp4VideoIndex, bytes: Buffer, base: number, first: number, target: number): Buffer {
  const parts: Buffer[] = [];
  for (const set of index.parameterSets) parts.push(START_CODE, set);
  for (let i = first; i <= target; i++) {
    const sample = index.samples[i]!;
    let at = sample.offset - base;
    const end = at + sample.size;
    while (at + index.nalLengthSize <= end) {
      const length = index.nalLengthSize === 4 ? bytes.readUInt32BE(at) : index.nalLengthSize === 2 ? bytes.readUInt16BE(at) : bytes[at]!;
      at += index.nalLengthSize;
      if (at + length > end) throw new Error('a NAL unit runs past its sample');
      parts.push(START_CODE, bytes.subarray(at, at + length));
      at += length;
    }
  }
  parts.push(ACCESS_UNIT_DELIMITER);
  return Buffer.concat(parts);
}
