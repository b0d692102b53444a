import { defaultBinaries } from '../../ffmpeg/binaries.js';
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
      keyframes.set(frame, { frame, idr: idrFrames.has(frame) || (existing?.idr ?? false), runStartFrame });
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
