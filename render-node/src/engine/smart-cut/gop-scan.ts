import fs from 'node:fs/promises';
import { defaultBinaries } from '../../ffmpeg/binaries.js';
import { readPacketIntervals, type PacketPlace } from '../../ffmpeg/ffprobe.js';
import { readMp4PacketIntervals } from '../../ffmpeg/mp4-packets.js';
import { spawnTool } from '../../ffmpeg/spawn-tool.js';
import { INPUT_PROTOCOLS } from '../sources.js';
import { secondsArg } from '../timing.js';
import type { CodecParameters } from './codec-parameters.js';

/**
 * Where a source's GOPs start and end around the cut points, read without decoding: ffmpeg
 * copies the packets of a few windows of the source to `framecrc` (timestamps, flags and size
 * of each packet), once as they are and once through `filter_units`, which keeps only the
 * packets that hold an IDR picture. Only the windows are read, so the cost follows the number
 * of cuts, not the length of the source.
 */

/** A keyframe (random access point) and what copying from or up to it means. */
export interface Keyframe {
  /** Frame number (display order, from the stream's first picture). */
  frame: number;
  /**
   * An IDR picture (H.264 IDR, HEVC IDR/BLA): nothing after it refers to anything before it and
   * the decoder forgets every reference there, so a copy may start on it after other pictures.
   * Other keyframes (open-GOP I pictures, HEVC CRA) may only be copied through, or stopped at.
   */
  idr: boolean;
  /**
   * The lowest frame number among the packets from this keyframe on (in decoding order): the
   * first frame a copy that stops before this keyframe leaves out. Lower than `frame` when the
   * keyframe has leading pictures (open GOP); undefined when the window ended too soon to know.
   */
  runStartFrame: number | undefined;
  /**
   * Frames at which a copy that runs through this keyframe may stop inside its GOP: for each A,
   * the packets from the keyframe on, in decoding order, up to some point are exactly the frames
   * from the keyframe to A, so they decode without any picture after them. Only for a keyframe
   * without leading pictures, and only as far as the scan saw its GOP.
   */
  cleanEnds?: number[];
}

export interface GopMap {
  keyframes: Keyframe[];
  /** Pictures in the stream, when a window reached its end. */
  frameCount: number | undefined;
  /** The deepest reordering seen (packets decoded ahead of their display position). */
  reorderDepth: number;
  /** Frames whose time is off the frame-rate grid (variable frame rate), by frame number. */
  offGrid: number[];
}

/** A stretch of the source to read, in file seconds (as `-ss` counts). */
export interface ScanWindow {
  fromS: number;
  toS: number;
}

interface Packet {
  dts: number;
  pts: number;
  key: boolean;
}

/** NAL unit types that make a picture an IDR: H.264 IDR slices; HEVC BLA and IDR pictures. */
const IDR_TYPES: Record<string, string> = { h264: '5', hevc: '16-20' };

export function canFindIdrs(codec: string): boolean {
  return codec in IDR_TYPES;
}

/** Parses `framecrc` output: stream → time base and packets. */
export function parseFramecrc(text: string): Map<number, { timeBase: number; packets: Packet[] }> {
  const streams = new Map<number, { timeBase: number; packets: Packet[] }>();
  const streamOf = (index: number) => {
    let stream = streams.get(index);
    if (!stream) {
      stream = { timeBase: 0, packets: [] };
      streams.set(index, stream);
    }
    return stream;
  };
  for (const line of text.split('\n')) {
    const tb = /^#tb (\d+): (\d+)\/(\d+)/.exec(line);
    if (tb) {
      streamOf(Number(tb[1])).timeBase = Number(tb[2]) / Number(tb[3]);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 6) continue;
    const [index, dts, pts] = fields.map(Number);
    // framecrc writes flags only when they are not exactly "keyframe".
    const flags = fields.slice(6).find((f) => f.startsWith('F='));
    const key = flags === undefined ? true : (parseInt(flags.slice(2), 16) & 1) === 1;
    streamOf(index!).packets.push({ dts: dts!, pts: pts!, key });
  }
  return streams;
}

export interface ScanOptions {
  signal?: AbortSignal;
  ffmpegPath?: string;
}

/** Reads the windows of one picture stream and maps their GOPs. */
export async function scanGops(input: string, streamIndex: number, params: CodecParameters, windows: ScanWindow[], options: ScanOptions = {}): Promise<GopMap> {
  const idrTypes = IDR_TYPES[params.codec];
  if (!idrTypes) throw new Error(`no IDR test for ${params.codec}`);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-copyts'];
  for (const w of windows) {
    if (w.fromS > 0) args.push('-ss', secondsArg(w.fromS));
    args.push('-t', secondsArg(w.toS - Math.max(0, w.fromS)), '-protocol_whitelist', INPUT_PROTOCOLS, '-i', input);
  }
  windows.forEach((_, i) => args.push('-map', `${i}:${streamIndex}`, '-map', `${i}:${streamIndex}`));
  args.push('-c', 'copy');
  windows.forEach((_, i) => args.push(`-bsf:${2 * i + 1}`, `filter_units=pass_types=${idrTypes}`));
  args.push('-f', 'framecrc', '-');
  const { stdout } = await spawnTool({ command: options.ffmpegPath ?? defaultBinaries().ffmpeg, args, signal: options.signal, collectStdout: true });
  const streams = parseFramecrc(stdout);
  return buildGopMap(
    windows.map((w, i) => ({ window: w, all: streams.get(2 * i), idr: streams.get(2 * i + 1) })),
    params,
  );
}

/**
 * How far past a window's end the in-place scan reads (in frames, beyond the reordering): the
 * read stops at the first packet shown after its end, which with B-frames comes before pictures
 * shown earlier; reading a little further keeps a window that did not meet the end of the stream
 * from looking as if it had.
 */
const READ_PAST_FRAMES = 4;

/**
 * The same map as `scanGops`, for H.264 with length-prefixed NAL units (MP4, MOV, Matroska) in a
 * local file: the packets of every window come from an MP4's own index where that reads as
 * ffmpeg does (ffmpeg/mp4-packets.ts: no process to start), else ffprobe lists them in one run
 * (the file opened and its index read once, not once per window), and each keyframe's first
 * slice is read from the file to tell an IDR picture (NAL unit type 5) from an I picture of an
 * open GOP.
 */
export async function scanGopsInPlace(
  file: string,
  streamIndex: number,
  params: CodecParameters,
  nalLengthSize: number,
  windows: ScanWindow[],
  options: Pick<ScanOptions, 'signal'> = {},
): Promise<GopMap> {
  if (params.codec !== 'h264') throw new Error(`no in-place IDR test for ${params.codec}`);
  const frameS = params.frameRate.den / params.frameRate.num;
  const sorted = [...windows].sort((a, b) => a.fromS - b.fromS);
  // ffprobe's intervals are stream times; windows are file times (as -ss counts them).
  const formatStartS = params.startS - params.fileOffsetS;
  const pastS = (params.reorderDepth + READ_PAST_FRAMES) * frameS;
  const intervals = sorted.map((w) => `${secondsArg(Math.max(0, w.fromS + formatStartS))}%${secondsArg(w.toS + formatStartS + pastS)}`).join(',');
  const { timeBase, packets } =
    (await readMp4PacketIntervals(file, streamIndex, intervals)) ?? (await readPacketIntervals(file, streamIndex, intervals, { signal: options.signal }));
  const idrPackets = await idrKeyframes(file, packets, nalLengthSize);

  // Each interval starts where a seek lands, on a keyframe: a keyframe that does not follow the
  // packet before it by one frame starts another stretch (stretches that happen to touch are one).
  const stretches: Packet[][] = [];
  let previousDtsS: number | undefined;
  for (const p of packets) {
    if (p.pts === undefined || p.dts === undefined) continue;
    const dtsS = p.dts * timeBase;
    const jump = previousDtsS === undefined || dtsS < previousDtsS + frameS / 2 || dtsS > previousDtsS + 1.5 * frameS;
    if (p.keyframe && jump) stretches.push([]);
    stretches.at(-1)?.push({ dts: p.dts, pts: p.pts, key: p.keyframe });
    previousDtsS = dtsS;
  }
  // Only the last stretch can meet the end of the stream: windows are read in order.
  const never: ScanWindow = { fromS: -Infinity, toS: -Infinity };
  const last = sorted.at(-1);
  return buildGopMap(
    stretches.map((stretch, i) => ({
      window: i === stretches.length - 1 && last ? last : never,
      all: { timeBase, packets: stretch },
      idr: { timeBase, packets: stretch.filter((p) => p.key && idrPackets.has(p.pts)) },
    })),
    params,
  );
}

/** Presentation times of the keyframe packets whose first slice is an IDR slice. */
async function idrKeyframes(file: string, packets: PacketPlace[], nalLengthSize: number): Promise<Set<number>> {
  const idr = new Set<number>();
  const handle = await fs.open(file, 'r');
  try {
    for (const p of packets) {
      if (!p.keyframe || p.pos === undefined || p.pts === undefined) continue;
      const bytes = Buffer.alloc(p.size);
      const { bytesRead } = await handle.read(bytes, 0, p.size, p.pos);
      if (firstSliceType(bytes.subarray(0, bytesRead), nalLengthSize) === 5) idr.add(p.pts);
    }
  } finally {
    await handle.close();
  }
  return idr;
}

/** NAL unit type of the first coded slice (1-5) of a length-prefixed H.264 access unit. */
export function firstSliceType(unit: Buffer, nalLengthSize: number): number | undefined {
  let at = 0;
  while (at + nalLengthSize < unit.length) {
    const length = unit.readUIntBE(at, nalLengthSize);
    const type = unit[at + nalLengthSize]! & 0x1f;
    if (type >= 1 && type <= 5) return type;
    if (length === 0) return undefined;
    at += nalLengthSize + length;
  }
  return undefined;
}

interface WindowPackets {
  window: ScanWindow;
  all: { timeBase: number; packets: Packet[] } | undefined;
  idr: { timeBase: number; packets: Packet[] } | undefined;
}

/** Turns the packets of each window into keyframes on the frame grid. */
export function buildGopMap(windows: WindowPackets[], params: CodecParameters): GopMap {
  const frameS = params.frameRate.den / params.frameRate.num;
  const keyframes = new Map<number, Keyframe>();
  const offGrid = new Set<number>();
  let frameCount: number | undefined;
  let reorderDepth = params.reorderDepth;
  for (const { window, all, idr } of windows) {
    if (!all || all.packets.length === 0) continue;
    const toFrame = (ticks: number, timeBase: number) => {
      const exact = (ticks * timeBase - params.startS) / frameS;
      const frame = Math.round(exact);
      if (Math.abs(exact - frame) > 0.25) offGrid.add(frame);
      return frame;
    };
    const idrFrames = new Set((idr?.packets ?? []).map((p) => toFrame(p.pts, idr!.timeBase)));
    const frames = all.packets.map((p) => toFrame(p.pts, all.timeBase));
    const keyIndexes = all.packets.map((p, i) => (p.key ? i : -1)).filter((i) => i >= 0);
    for (const [k, index] of keyIndexes.entries()) {
      const next = keyIndexes[k + 1];
      const end = next ?? frames.length;
      // Leading pictures follow their keyframe within the reordering depth; without the next
      // keyframe in view, enough packets after it must have been seen to be sure.
      const settled = next !== undefined || end - index > reorderDepth + 2;
      const run = frames.slice(index, next ?? end);
      const frame = frames[index]!;
      const existing = keyframes.get(frame);
      const runStartFrame = settled ? Math.min(...run) : existing?.runStartFrame;
      const cleanEnds = mergeCleanEnds(existing?.cleanEnds, cleanEndsOf(run));
      keyframes.set(frame, { frame, idr: idrFrames.has(frame) || (existing?.idr ?? false), runStartFrame, ...(cleanEnds ? { cleanEnds } : {}) });
    }
    // Reordering depth: from the first keyframe on, how far ahead of its display position each
    // picture is decoded.
    const first = keyIndexes[0];
    if (first !== undefined) {
      const startFrame = frames[first]!;
      let position = 0;
      for (let i = first; i < frames.length; i++) {
        if (frames[i]! < startFrame) continue;
        reorderDepth = Math.max(reorderDepth, position - (frames[i]! - startFrame));
        position++;
      }
    }
    // A window that stopped well before where it was asked to stop met the end of the stream.
    const last = all.packets.at(-1)!;
    const lastS = last.dts * all.timeBase - params.startS + params.fileOffsetS;
    if (lastS + 2 * frameS < window.toS - 0.05) frameCount = Math.max(...frames) + 1;
  }
  return { keyframes: [...keyframes.values()].sort((a, b) => a.frame - b.frame), frameCount, reorderDepth, offGrid: [...offGrid].sort((a, b) => a - b) };
}

/**
 * The frames A at which the decoding-order prefix of a keyframe's GOP (`run`, display frame
 * numbers in decoding order, the keyframe first) holds exactly the frames from the keyframe to A.
 * Stops at the first leading picture (shown before the keyframe).
 */
export function cleanEndsOf(run: readonly number[]): number[] {
  const first = run[0];
  if (first === undefined) return [];
  const ends: number[] = [];
  let highest = first;
  for (let m = 1; m <= run.length; m++) {
    const frame = run[m - 1]!;
    if (frame < first) break;
    highest = Math.max(highest, frame);
    if (highest - first + 1 === m) ends.push(highest);
  }
  return ends;
}

export function mergeCleanEnds(a: number[] | undefined, b: number[] | undefined): number[] | undefined {
  if (!a?.length) return b?.length ? b : undefined;
  if (!b?.length) return a;
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
