import fs from 'node:fs/promises';
import type { PacketPlace } from './ffprobe.js';

/**
 * The packets `ffprobe -select_streams N -read_intervals ... -show_entries packet=...` lists for
 * an H.264 track of a plain (not fragmented) MP4 or MOV file, read from the file's own index (its
 * sample tables) instead of from an ffprobe process: a distribution's ffprobe spends about
 * 0.12 s of CPU loading its libraries before it reads a byte, on the smart cut's critical path.
 *
 * Only what ffmpeg's demuxer is known to read the same way is answered: one H.264 video track
 * (`avc1`, `avc3`), no edit list or a single edit that starts at the track's first picture (as
 * ffmpeg and most encoders write it), possibly after an empty edit (a track that starts later
 * than the others), composition offsets that are not negative. Anything else answers
 * undefined, and the caller asks ffprobe. Hand-written rather than through an MP4
 * library: it reads six tables of one track and nothing else, and must reproduce ffmpeg's
 * timestamps (the edits' shift) and ffprobe's interval rules, which no library knows.
 *
 * The interval rules are ffprobe's (fftools/ffprobe.c, read_interval_packets): for each
 * interval, seek to the last keyframe whose decoding time, with the edit's start added back
 * (an empty edit's delay kept), is at or before its start, then list packets until the first
 * whose presentation time, in microseconds, is at or past its end.
 */

interface Box {
  type: string;
  /** Payload, from after the header to the box's end (offsets into the buffer). */
  start: number;
  end: number;
}

class Unsupported extends Error {}

function* children(buf: Buffer, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) throw new Unsupported('truncated box');
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header || at + size > to) throw new Unsupported('malformed box');
    yield { type: buf.toString('latin1', at + 4, at + 8), start: at + header, end: at + size };
    at += size;
  }
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  for (const box of children(buf, parent.start, parent.end)) if (box.type === type) return box;
  return undefined;
}

function path(buf: Buffer, parent: Box, ...types: string[]): Box {
  let box = parent;
  for (const type of types) {
    const next = child(buf, box, type);
    if (!next) throw new Unsupported(`no ${type} box`);
    box = next;
  }
  return box;
}

/** Boxes an MP4 or MOV file starts with. */
const FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid']);

/** The `moov` box of the file, read whole; undefined when the file is fragmented or has none. */
async function readMovie(file: string): Promise<Buffer | undefined> {
  const handle = await fs.open(file, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const header = Buffer.alloc(16);
    let movie: Buffer | undefined;
    for (let at = 0; at + 8 <= fileSize;) {
      const { bytesRead } = await handle.read(header, 0, 16, at);
      if (bytesRead < 8) return undefined;
      let size = header.readUInt32BE(0);
      let headerSize = 8;
      if (size === 1) {
        size = Number(header.readBigUInt64BE(8));
        headerSize = 16;
      } else if (size === 0) {
        size = fileSize - at;
      }
      if (size < headerSize) return undefined;
      const type = header.toString('latin1', 4, 8);
      // Not an MP4 or MOV file at all (Matroska, MPEG-TS): nothing here reads as boxes.
      if (at === 0 && !FIRST_BOXES.has(type)) return undefined;
      if (type === 'moof') return undefined;
      if (type === 'moov') {
        if (movie || size > 256 * 2 ** 20) return undefined;
        movie = Buffer.alloc(size);
        const read = await handle.read(movie, 0, size, at);
        if (read.bytesRead < size) return undefined;
      }
      at += size;
    }
    return movie;
  } finally {
    await handle.close();
  }
}

interface Samples {
  timescale: number;
  dts: Float64Array;
  pts: Float64Array;
  sync: Uint8Array;
  pos: Float64Array;
  size: Uint32Array;
  /** What the edit took off every time (an empty edit's delay is added to them too). */
  shift: number;
}

function trackSamples(buf: Buffer, trak: Box, movieTimescale: number): Samples {
  const mdia = path(buf, trak, 'mdia');
  const mdhd = path(buf, mdia, 'mdhd');
  const timescale = buf.readUInt32BE(mdhd.start + (buf[mdhd.start] === 1 ? 20 : 12));
  const hdlr = path(buf, mdia, 'hdlr');
  if (buf.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'vide') throw new Unsupported('not a video track');
  const stbl = path(buf, mdia, 'minf', 'stbl');
  const stsd = path(buf, stbl, 'stsd');
  const entry = buf.toString('latin1', stsd.start + 12, stsd.start + 16);
  if (buf.readUInt32BE(stsd.start + 4) !== 1 || (entry !== 'avc1' && entry !== 'avc3')) throw new Unsupported(`sample entry ${entry}`);

  const stsz = path(buf, stbl, 'stsz');
  const fixedSize = buf.readUInt32BE(stsz.start + 4);
  const count = buf.readUInt32BE(stsz.start + 8);
  const size = new Uint32Array(count);
  for (let i = 0; i < count; i++) size[i] = fixedSize || buf.readUInt32BE(stsz.start + 12 + 4 * i);

  const dts = new Float64Array(count);
  const stts = path(buf, stbl, 'stts');
  let sample = 0;
  let time = 0;
  for (let e = 0, n = buf.readUInt32BE(stts.start + 4); e < n; e++) {
    const run = buf.readUInt32BE(stts.start + 8 + 8 * e);
    const delta = buf.readUInt32BE(stts.start + 12 + 8 * e);
    for (let k = 0; k < run && sample < count; k++, sample++, time += delta) dts[sample] = time;
  }
  if (sample !== count) throw new Unsupported('stts does not cover every sample');

  const pts = Float64Array.from(dts);
  const ctts = child(buf, stbl, 'ctts');
  if (ctts) {
    sample = 0;
    for (let e = 0, n = buf.readUInt32BE(ctts.start + 4); e < n; e++) {
      const run = buf.readUInt32BE(ctts.start + 8 + 8 * e);
      const offset = buf[ctts.start] === 1 ? buf.readInt32BE(ctts.start + 12 + 8 * e) : buf.readUInt32BE(ctts.start + 12 + 8 * e);
      if (offset < 0) throw new Unsupported('negative composition offset');
      for (let k = 0; k < run && sample < count; k++, sample++) pts[sample] = dts[sample]! + offset;
    }
  }

  const sync = new Uint8Array(count).fill(1);
  const stss = child(buf, stbl, 'stss');
  if (stss) {
    sync.fill(0);
    for (let e = 0, n = buf.readUInt32BE(stss.start + 4); e < n; e++) {
      const number = buf.readUInt32BE(stss.start + 8 + 4 * e);
      if (number >= 1 && number <= count) sync[number - 1] = 1;
    }
  }

  const chunkOffsets: number[] = [];
  const stco = child(buf, stbl, 'stco');
  const co64 = child(buf, stbl, 'co64');
  if (stco) for (let e = 0, n = buf.readUInt32BE(stco.start + 4); e < n; e++) chunkOffsets.push(buf.readUInt32BE(stco.start + 8 + 4 * e));
  else if (co64) for (let e = 0, n = buf.readUInt32BE(co64.start + 4); e < n; e++) chunkOffsets.push(Number(buf.readBigUInt64BE(co64.start + 8 + 8 * e)));
  else throw new Unsupported('no chunk offsets');
  const stsc = path(buf, stbl, 'stsc');
  const runs = Array.from({ length: buf.readUInt32BE(stsc.start + 4) }, (_, e) => ({
    firstChunk: buf.readUInt32BE(stsc.start + 8 + 12 * e),
    perChunk: buf.readUInt32BE(stsc.start + 12 + 12 * e),
  }));
  const pos = new Float64Array(count);
  sample = 0;
  for (let r = 0; r < runs.length && sample < count; r++) {
    const lastChunk = r + 1 < runs.length ? runs[r + 1]!.firstChunk - 1 : chunkOffsets.length;
    for (let chunk = runs[r]!.firstChunk; chunk <= lastChunk && sample < count; chunk++) {
      let offset = chunkOffsets[chunk - 1];
      if (offset === undefined) throw new Unsupported('chunk past the chunk offsets');
      for (let k = 0; k < runs[r]!.perChunk && sample < count; k++, sample++) {
        pos[sample] = offset;
        offset += size[sample]!;
      }
    }
  }
  if (sample !== count) throw new Unsupported('stsc does not cover every sample');

  // ffmpeg shifts the track's times by its edit's start (the pictures delayed by B-frames), and
  // delays them by an empty edit before it (a track that starts after the others).
  let shift = 0;
  let delay = 0;
  const edts = child(buf, trak, 'edts');
  const elst = edts && child(buf, edts, 'elst');
  if (elst) {
    const version = buf[elst.start];
    const entrySize = version === 1 ? 20 : 12;
    const edits = Array.from({ length: buf.readUInt32BE(elst.start + 4) }, (_, e) => {
      const at = elst.start + 8 + entrySize * e;
      return version === 1
        ? { duration: Number(buf.readBigUInt64BE(at)), mediaTime: Number(buf.readBigInt64BE(at + 8)), rate: buf.readInt16BE(at + 16) }
        : { duration: buf.readUInt32BE(at), mediaTime: buf.readInt32BE(at + 4), rate: buf.readInt16BE(at + 8) };
    });
    const empty = edits.length === 2 && edits[0]!.mediaTime === -1 ? edits.shift()! : undefined;
    if (edits.length !== 1) throw new Unsupported('several edits');
    const { mediaTime, rate } = edits[0]!;
    let firstPicture = Infinity;
    for (const time of pts) firstPicture = Math.min(firstPicture, time);
    if (rate !== 1 || mediaTime !== firstPicture) throw new Unsupported('an edit that does not start at the first picture');
    if (empty) delay = Math.round((empty.duration * timescale) / movieTimescale);
    shift = mediaTime;
    for (let i = 0; i < count; i++) {
      dts[i]! += delay - mediaTime;
      pts[i]! += delay - mediaTime;
    }
  }
  return { timescale, dts, pts, sync, pos, size, shift };
}

/**
 * The packets of track `streamIndex` (ffmpeg's numbering: the file's tracks in order) within
 * `intervals` (ffprobe's syntax, `start%end` in seconds, comma-separated), as ffprobe lists
 * them; undefined where this reader does not answer for ffmpeg (see above).
 */
export async function readMp4PacketIntervals(
  file: string,
  streamIndex: number,
  intervals: string,
): Promise<{ timeBase: number; packets: PacketPlace[] } | undefined> {
  try {
    const movie = await readMovie(file);
    if (!movie) return undefined;
    const moov = [...children(movie, 0, movie.length)].find((b) => b.type === 'moov')!;
    if (child(movie, moov, 'mvex')) return undefined;
    const trak = [...children(movie, moov.start, moov.end)].filter((b) => b.type === 'trak')[streamIndex];
    if (!trak) return undefined;
    const mvhd = path(movie, moov, 'mvhd');
    const samples = trackSamples(movie, trak, movie.readUInt32BE(mvhd.start + (movie[mvhd.start] === 1 ? 20 : 12)));
    const packets: PacketPlace[] = [];
    const toUs = (t: number) => Math.round((t * 1e6) / samples.timescale);
    for (const interval of intervals.split(',')) {
      const [startS, endS] = interval.split('%').map(Number);
      if (startS === undefined || endS === undefined || !Number.isFinite(startS) || !Number.isFinite(endS)) return undefined;
      const target = Math.round((Math.round(startS * 1e6) * samples.timescale) / 1e6);
      const endUs = Math.round(endS * 1e6);
      let first = 0;
      // ffmpeg's MOV seek searches decoding times (in order) with the edit's start added back.
      for (let i = 0; i < samples.dts.length && samples.dts[i]! + samples.shift <= target; i++) if (samples.sync[i]) first = i;
      for (let i = first; i < samples.dts.length; i++) {
        if (toUs(samples.pts[i]!) >= endUs) break;
        packets.push({ pts: samples.pts[i], dts: samples.dts[i], keyframe: samples.sync[i] === 1, pos: samples.pos[i], size: samples.size[i]! });
      }
    }
    return { timeBase: 1 / samples.timescale, packets };
  } catch (error) {
    if (error instanceof Unsupported || error instanceof RangeError) return undefined;
    throw error;
  }
}
