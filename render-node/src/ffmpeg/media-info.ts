import { ffprobe, type FfprobeOptions, type FfprobeResult, type FfprobeStream } from './ffprobe.js';

/** A frame rate or other ratio, kept exact (30000/1001 stays 30000/1001). */
export interface Rational {
  num: number;
  den: number;
}

export type MediaKind = 'video' | 'audio' | 'image';

/** What the engine needs to know about a source, derived from ffprobe. */
export interface MediaInfo {
  kind: MediaKind;
  /** Duration in 100 ns units; undefined for still images (they last as long as their clip). */
  durationHns: number | undefined;
  hasVideo: boolean;
  hasAudio: boolean;
  width?: number;
  height?: number;
  /** Frames per second of the video stream. */
  frameRate?: Rational;
  /** Pixel aspect ratio of the video stream (1/1 when square or unknown). */
  sampleAspect?: Rational;
  sampleRate?: number;
  channels?: number;
  videoCodec?: string;
  audioCodec?: string;
  pixelFormat?: string;
  /**
   * When the picture starts after the file does (the sound starts first, or an edit list says
   * so): its first frame's time from the start of the file, in 100 ns units.
   */
  videoStartHns?: number;
  /** Index in the file of the picture stream and of the sound stream (first of each by default). */
  videoStreamIndex?: number;
  audioStreamIndex?: number;
  /** The container, as ffprobe names it (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`...). */
  formatName: string;
}

const stillFormats = /(^|,)(image2|[a-z0-9]+_pipe|apng)(,|$)/;

export function parseRational(text: string | undefined): Rational | undefined {
  if (!text) return undefined;
  const [num, den] = text.split(/[/:]/).map(Number);
  if (!num || !den || !Number.isFinite(num) || !Number.isFinite(den) || num <= 0 || den <= 0) return undefined;
  return { num, den };
}

function seconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The stream the engine treats as the picture: the first video stream that is not cover art. */
export function pictureStream(probe: FfprobeResult): FfprobeStream | undefined {
  return probe.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
}

export function soundStream(probe: FfprobeResult): FfprobeStream | undefined {
  return probe.streams.find((s) => s.codec_type === 'audio');
}

function videoStartOffsetHns(probe: FfprobeResult, video: FfprobeStream | undefined): number | undefined {
  const fileStart = seconds(probe.format.start_time);
  const videoStart = seconds(video?.start_time);
  if (fileStart === undefined || videoStart === undefined) return undefined;
  const offsetHns = Math.round((videoStart - fileStart) * 1e7);
  return offsetHns > 0 ? offsetHns : undefined;
}

export function mediaInfoFromProbe(probe: FfprobeResult): MediaInfo {
  const video = pictureStream(probe);
  const audio = soundStream(probe);
  const formatName = probe.format.format_name;
  const durationS = seconds(probe.format.duration) ?? seconds(video?.duration) ?? seconds(audio?.duration);
  const still =
    video !== undefined &&
    audio === undefined &&
    (stillFormats.test(formatName) || (durationS === undefined && (video.nb_frames === undefined || video.nb_frames === '1')));
  const kind: MediaKind = still ? 'image' : video ? 'video' : 'audio';
  // avg_frame_rate is what plays; r_frame_rate is the timebase guess and is wrong for some VFR files.
  const frameRate = video ? (parseRational(video.avg_frame_rate) ?? parseRational(video.r_frame_rate)) : undefined;
  return {
    kind,
    durationHns: still || durationS === undefined ? undefined : Math.round(durationS * 1e7),
    hasVideo: video !== undefined,
    hasAudio: audio !== undefined,
    width: video?.width,
    height: video?.height,
    frameRate: kind === 'image' ? undefined : frameRate,
    sampleAspect: video ? (parseRational(video.sample_aspect_ratio) ?? { num: 1, den: 1 }) : undefined,
    sampleRate: audio?.sample_rate === undefined ? undefined : Number(audio.sample_rate),
    channels: audio?.channels,
    videoCodec: video?.codec_name,
    audioCodec: audio?.codec_name,
    pixelFormat: video?.pix_fmt,
    videoStartHns: videoStartOffsetHns(probe, video),
    videoStreamIndex: video?.index,
    audioStreamIndex: audio?.index,
    formatName,
  };
}

const rawProbes = new WeakMap<MediaInfo, FfprobeResult>();

/** ffprobe's own answer a MediaInfo was made from (by probeMediaInfo), so nobody asks twice. */
export function rawProbeOf(info: MediaInfo): FfprobeResult | undefined {
  return rawProbes.get(info);
}

/** Probes a file or URL and describes it for the engine. */
export async function probeMediaInfo(input: string, options: FfprobeOptions = {}): Promise<MediaInfo> {
  return mediaInfoFromRawProbe(await ffprobe(input, options));
}

/** Describes media for the engine from ffprobe's answer made earlier (at ingest), keeping that answer beside it. */
export function mediaInfoFromRawProbe(raw: FfprobeResult): MediaInfo {
  const info = mediaInfoFromProbe(raw);
  rawProbes.set(info, raw);
  return info;
}
