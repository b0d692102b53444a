import type { Rational } from '../ffmpeg/media-info.js';
import type { AudioCodec, Container, Quality, VideoCodec, XtlGroup } from '../xtl/model.js';
import { RenderError } from './render-error.js';
import type { ResolvedSources } from './sources.js';

/** What a group's output will be: every setting decided, from the group or its first sources. */
export interface OutputSettings {
  container: Container;
  hasVideo: boolean;
  hasAudio: boolean;
  width: number;
  height: number;
  frameRate: Rational;
  sampleRate: number;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  quality: Quality;
  background: string;
  /** The group's length on the timeline: the end of its last clip. */
  durationHns: number;
}

export const CONTAINER_EXTENSIONS: Record<Container, string> = { mp4: 'mp4', mov: 'mov', webm: 'webm', mp3: 'mp3', m4a: 'm4a', wav: 'wav' };
export const CONTAINER_MIME_TYPES: Record<Container, string> = {
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
};

const videoCodecsFor: Record<Container, readonly VideoCodec[]> = {
  mp4: ['h264', 'hevc', 'vp9'],
  mov: ['h264', 'hevc'],
  webm: ['vp9'],
  mp3: [],
  m4a: [],
  wav: [],
};
const audioCodecsFor: Record<Container, readonly AudioCodec[]> = {
  mp4: ['aac', 'mp3', 'opus'],
  mov: ['aac', 'mp3', 'pcm'],
  webm: ['opus'],
  mp3: ['mp3'],
  m4a: ['aac'],
  wav: ['pcm'],
};
const opusRates = [8000, 12000, 16000, 24000, 48000];

function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

function containerOf(group: XtlGroup, anyVideo: boolean): Container {
  if (group.container) return group.container;
  const extension = /\.([a-z0-9]+)$/i.exec(group.output ?? '')?.[1]?.toLowerCase();
  if (extension && extension in CONTAINER_EXTENSIONS) return extension as Container;
  return anyVideo ? 'mp4' : 'm4a';
}

export function decideOutputSettings(group: XtlGroup, sources: ResolvedSources): OutputSettings {
  const where = `group at line ${group.line}`;
  const clipsWith = (wanted: 'video' | 'audio') =>
    group.tracks.flatMap((track) =>
      (wanted === 'video' ? track.video : track.audio)
        ? track.clips.filter((clip) => (wanted === 'video' ? sources.get(clip.src)!.probe.hasVideo : sources.get(clip.src)!.probe.hasAudio))
        : [],
    );
  const videoClips = clipsWith('video');
  const audioClips = clipsWith('audio');
  const container = containerOf(group, videoClips.length > 0);
  const hasVideo = videoClips.length > 0 && videoCodecsFor[container].length > 0;
  const hasAudio = audioClips.length > 0;
  if (!hasVideo && !hasAudio) {
    throw new RenderError('bad_timeline', `${where}: nothing to render (no clip gives ${videoCodecsFor[container].length ? 'video or ' : ''}audio)`);
  }

  const videoCodec = group.videoCodec ?? (container === 'webm' ? 'vp9' : 'h264');
  if (hasVideo && !videoCodecsFor[container].includes(videoCodec)) {
    throw new RenderError('bad_timeline', `${where}: vcodec="${videoCodec}" cannot go in ${container} (it takes ${videoCodecsFor[container].join(', ')})`);
  }
  const audioCodec = group.audioCodec ?? audioCodecsFor[container][0]!;
  if (hasAudio && !audioCodecsFor[container].includes(audioCodec)) {
    throw new RenderError('bad_timeline', `${where}: acodec="${audioCodec}" cannot go in ${container} (it takes ${audioCodecsFor[container].join(', ')})`);
  }

  // Defaults come from the first source that has the property: a moving picture for the size
  // and rate (an image has no rate), the first sound for the sample rate.
  const firstVideo = videoClips.map((c) => sources.get(c.src)!.probe).find((p) => p.kind === 'video') ?? videoClips.map((c) => sources.get(c.src)!.probe)[0];
  const sar = firstVideo?.sampleAspect ?? { num: 1, den: 1 };
  const sourceWidth = (firstVideo?.width ?? 640) * (sar.num / sar.den);
  const sourceHeight = firstVideo?.height ?? 360;
  // One of width/height given: the other follows the first source's shape.
  const width = group.width ?? (group.height ? even((group.height * sourceWidth) / sourceHeight) : even(sourceWidth));
  const height = group.height ?? (group.width ? even((group.width * sourceHeight) / sourceWidth) : even(sourceHeight));
  const sourceRate = videoClips.map((c) => sources.get(c.src)!.probe.frameRate).find((r) => r !== undefined);
  const sensible = sourceRate && sourceRate.num / sourceRate.den >= 1 && sourceRate.num / sourceRate.den <= 120;
  const frameRate = group.frameRate ?? (sensible ? sourceRate : { num: 25, den: 1 });

  let sampleRate = group.sampleRate ?? audioClips.map((c) => sources.get(c.src)!.probe.sampleRate).find((r) => r !== undefined) ?? 48000;
  if (audioCodec === 'opus' && !opusRates.includes(sampleRate)) sampleRate = 48000;
  if (audioCodec === 'mp3' && sampleRate > 48000) sampleRate = 48000;

  const durationHns = Math.max(...group.tracks.flatMap((t) => t.clips.map((c) => c.timelineStopHns)));
  return {
    container,
    hasVideo,
    hasAudio,
    width,
    height,
    frameRate,
    sampleRate,
    videoCodec,
    audioCodec,
    quality: group.quality,
    background: group.background,
    durationHns,
  };
}
