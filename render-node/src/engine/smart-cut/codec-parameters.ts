import { ffprobe, type FfprobeResult, type FfprobeStream } from '../../ffmpeg/ffprobe.js';
import { parseRational, type Rational } from '../../ffmpeg/media-info.js';

/**
 * What a decoder needs to agree on for pictures from several sources to follow each other in
 * one stream, and what an encoder must reproduce for its frames to sit between copied ones:
 * the picture stream's codec parameters as ffprobe reports them.
 */
export interface CodecParameters {
  codec: string;
  /** ffprobe's profile name (`High`, `Main 10`...). */
  profile: string | undefined;
  /** level_idc as the bitstream says it (H.264: 31 for 3.1; HEVC: 93 for 3.1). */
  level: number | undefined;
  pixelFormat: string | undefined;
  width: number;
  height: number;
  sampleAspect: Rational;
  colorRange: string | undefined;
  colorSpace: string | undefined;
  colorTransfer: string | undefined;
  colorPrimaries: string | undefined;
  chromaLocation: string | undefined;
  fieldOrder: string | undefined;
  frameRate: Rational;
  /** Frames a decoder holds back to put them in display order (0: no B-frames). */
  reorderDepth: number;
  /** Presentation time of the first picture, in the stream's own seconds (where frame 0 is). */
  startS: number;
  /** The same instant from the start of the file: what `-ss` and the timeline count from. */
  fileOffsetS: number;
  /** Pictures in the stream, when the container counts them (MP4/MOV do). */
  frameCount: number | undefined;
}

/** ffprobe's "unknown"/"unspecified" mean the same as absent. */
function known(value: string | undefined): string | undefined {
  return value === undefined || value === 'unknown' || value === 'unspecified' ? undefined : value;
}

export function codecParametersOf(stream: FfprobeStream, formatStartS = 0): CodecParameters | undefined {
  const frameRate = parseRational(stream.avg_frame_rate) ?? parseRational(stream.r_frame_rate);
  if (!stream.codec_name || !stream.width || !stream.height || !frameRate) return undefined;
  const frames = stream.nb_frames === undefined ? undefined : Number(stream.nb_frames);
  return {
    codec: stream.codec_name,
    profile: stream.profile,
    level: stream.level !== undefined && stream.level > 0 ? stream.level : undefined,
    pixelFormat: stream.pix_fmt,
    width: stream.width,
    height: stream.height,
    sampleAspect: parseRational(stream.sample_aspect_ratio) ?? { num: 1, den: 1 },
    colorRange: known(stream.color_range),
    colorSpace: known(stream.color_space),
    colorTransfer: known(stream.color_transfer),
    colorPrimaries: known(stream.color_primaries),
    chromaLocation: known(stream.chroma_location),
    fieldOrder: known(stream.field_order),
    frameRate,
    reorderDepth: stream.has_b_frames ?? 0,
    startS: Number(stream.start_time ?? 0) || 0,
    fileOffsetS: (Number(stream.start_time ?? 0) || 0) - formatStartS,
    frameCount: frames !== undefined && Number.isInteger(frames) && frames > 0 ? frames : undefined,
  };
}

/** The codec parameters of one stream (by absolute index) of a file or URL. */
export async function probeCodecParameters(
  input: string,
  streamIndex: number,
  signal?: AbortSignal,
  known?: FfprobeResult,
): Promise<CodecParameters | undefined> {
  const probe = known ?? (await ffprobe(input, { signal }));
  const stream = probe.streams.find((s) => s.index === streamIndex);
  return stream ? codecParametersOf(stream, Number(probe.format.start_time ?? 0) || 0) : undefined;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** A ratio in lowest terms, written `num/den`. */
export function rationalText(r: Rational): string {
  const g = gcd(r.num, r.den) || 1;
  return `${r.num / g}/${r.den / g}`;
}

/**
 * The first parameter in which two streams differ so that one stream cannot carry both, named
 * for the task's log, or undefined when they match. Time bases and reorder depths may differ:
 * the join puts every picture on one time grid and decodes with the deepest reordering.
 */
export function parameterDifference(a: CodecParameters, b: CodecParameters): string | undefined {
  const checks: [string, unknown, unknown][] = [
    ['codec', a.codec, b.codec],
    ['profile', a.profile, b.profile],
    ['level', a.level, b.level],
    ['pixel format', a.pixelFormat, b.pixelFormat],
    ['size', `${a.width}x${a.height}`, `${b.width}x${b.height}`],
    ['sample aspect', rationalText(a.sampleAspect), rationalText(b.sampleAspect)],
    ['colour range', a.colorRange, b.colorRange],
    ['colour matrix', a.colorSpace, b.colorSpace],
    ['transfer', a.colorTransfer, b.colorTransfer],
    ['colour primaries', a.colorPrimaries, b.colorPrimaries],
    ['field order', a.fieldOrder, b.fieldOrder],
    ['frame rate', rationalText(a.frameRate), rationalText(b.frameRate)],
  ];
  const differing = checks.find(([, x, y]) => x !== y);
  if (!differing) return undefined;
  const [name, x, y] = differing;
  return `${name} (${String(x ?? 'unset')} and ${String(y ?? 'unset')})`;
}
