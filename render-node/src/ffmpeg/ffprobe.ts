import { defaultBinaries } from './binaries.js';
import { FfmpegError } from './errors.js';
import { spawnTool } from './spawn-tool.js';

/**
 * ffprobe's JSON as it writes it (`-show_format -show_streams`): snake_case names, numbers that
 * ffprobe prints as strings kept as strings. Fields ffprobe does not know are absent.
 */
export interface FfprobeStream {
  index: number;
  codec_type: 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | string;
  codec_name?: string;
  codec_long_name?: string;
  codec_tag_string?: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  coded_width?: number;
  coded_height?: number;
  has_b_frames?: number;
  sample_aspect_ratio?: string;
  display_aspect_ratio?: string;
  pix_fmt?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  chroma_location?: string;
  field_order?: string;
  refs?: number;
  is_avc?: string;
  nal_length_size?: string;
  sample_fmt?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  bits_per_sample?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  start_pts?: number;
  start_time?: string;
  duration_ts?: number;
  duration?: string;
  bit_rate?: string;
  nb_frames?: string;
  /** With `countPackets`. */
  nb_read_packets?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  /** A display matrix comes as `{side_data_type: 'Display Matrix', rotation}` (degrees). */
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

export interface FfprobeFormat {
  filename: string;
  nb_streams: number;
  format_name: string;
  format_long_name?: string;
  start_time?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
  probe_score?: number;
  tags?: Record<string, string>;
}

export interface FfprobeResult {
  streams: FfprobeStream[];
  format: FfprobeFormat;
}

export interface FfprobeOptions {
  signal?: AbortSignal;
  /** Count the packets of every stream (`nb_read_packets`): reads the whole input. */
  countPackets?: boolean;
  /** Executable; FFPROBE_PATH or PATH by default. */
  ffprobePath?: string;
}

async function probeJson(input: string, args: string[], options: FfprobeOptions): Promise<unknown> {
  const command = options.ffprobePath ?? defaultBinaries().ffprobe;
  // Files and http(s) only: an input string cannot make ffprobe open concat:, subfile:, data:...
  const fullArgs = ['-hide_banner', '-v', 'error', '-print_format', 'json', ...args, '-protocol_whitelist', 'file,http,https,tcp,tls,crypto', '-i', input];
  const { stdout, stderrTail } = await spawnTool({ command, args: fullArgs, signal: options.signal, collectStdout: true });
  try {
    return JSON.parse(stdout) as unknown;
  } catch {
    throw new FfmpegError('ffprobe', 0, null, stderrTail || 'ffprobe wrote no JSON', fullArgs);
  }
}

/** Format and streams of a file or URL. */
export async function ffprobe(input: string, options: FfprobeOptions = {}): Promise<FfprobeResult> {
  const args = ['-show_format', '-show_streams'];
  if (options.countPackets) args.push('-count_packets');
  const json = (await probeJson(input, args, options)) as Partial<FfprobeResult>;
  if (!json.format || !Array.isArray(json.streams)) {
    throw new FfmpegError('ffprobe', 0, null, 'ffprobe found no format or streams', args);
  }
  return { format: json.format, streams: json.streams };
}

export interface PacketInfo {
  /** Presentation time in seconds (undefined when the packet has none). */
  ptsS: number | undefined;
  /** Decoding time in seconds. */
  dtsS: number | undefined;
  keyframe: boolean;
}

/**
 * The packets of one stream (by absolute stream index) in file order, without decoding: what a
 * cut planner needs to find keyframes and GOP boundaries.
 */
export async function listPackets(input: string, streamIndex: number, options: FfprobeOptions = {}): Promise<PacketInfo[]> {
  const json = (await probeJson(input, ['-select_streams', String(streamIndex), '-show_entries', 'packet=pts_time,dts_time,flags'], options)) as {
    packets?: { pts_time?: string; dts_time?: string; flags?: string }[];
  };
  return (json.packets ?? []).map((p) => ({
    ptsS: p.pts_time === undefined ? undefined : Number(p.pts_time),
    dtsS: p.dts_time === undefined ? undefined : Number(p.dts_time),
    keyframe: (p.flags ?? '').includes('K'),
  }));
}

/** Presentation times (seconds, ascending) of the keyframes of the first video stream. */
export async function listKeyframes(input: string, options: FfprobeOptions = {}): Promise<number[]> {
  const probe = await ffprobe(input, options);
  const video = probe.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) return [];
  const packets = await listPackets(input, video.index, options);
  return packets
    .filter((p) => p.keyframe && p.ptsS !== undefined)
    .map((p) => p.ptsS!)
    .sort((a, b) => a - b);
}

/** A packet as `readPacketIntervals` lists it: times in the stream's time base, where its bytes are. */
export interface PacketPlace {
  pts: number | undefined;
  dts: number | undefined;
  keyframe: boolean;
  /** Byte offset in the file and size (undefined when the demuxer does not say). */
  pos: number | undefined;
  size: number;
}

/**
 * The packets of one stream (by absolute stream index) over several stretches of the input, read
 * in one run without decoding: `intervals` as ffprobe's `-read_intervals` takes them
 * (`10.5%14.5,30%36`: absolute stream times, each read from the keyframe before its start).
 */
export async function readPacketIntervals(
  input: string,
  streamIndex: number,
  intervals: string,
  options: FfprobeOptions = {},
): Promise<{ timeBase: number; packets: PacketPlace[] }> {
  const json = (await probeJson(
    input,
    ['-select_streams', String(streamIndex), '-read_intervals', intervals, '-show_entries', 'stream=time_base:packet=pts,dts,flags,pos,size'],
    options,
  )) as { streams?: { time_base?: string }[]; packets?: { pts?: number; dts?: number; flags?: string; pos?: string; size?: string }[] };
  const [num, den] = (json.streams?.[0]?.time_base ?? '').split('/').map(Number);
  if (!num || !den) throw new FfmpegError('ffprobe', 0, null, `no time base for stream ${streamIndex}`, []);
  return {
    timeBase: num / den,
    packets: (json.packets ?? []).map((p) => ({
      pts: p.pts,
      dts: p.dts,
      keyframe: (p.flags ?? '').includes('K'),
      pos: p.pos === undefined ? undefined : Number(p.pos),
      size: Number(p.size ?? 0),
    })),
  };
}
