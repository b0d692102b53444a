import path from 'node:path';
import { listKeyframes } from '../ffmpeg/ffprobe.js';
import type { MediaInfo } from '../ffmpeg/media-info.js';
import type { Container } from '../xtl/model.js';
import { muxerArgs } from './encoder-args.js';
import type { Eligibility, GroupPlan, PlanContext, RenderStrategy } from './plan.js';
import { RenderError } from './render-error.js';
import { secondsArg } from './timing.js';

/**
 * accuracy="gop": no decoding, no encoding. Each clip starts at the keyframe at or before its
 * in point and the packets are copied up to its out point, joined by ffmpeg's concat demuxer.
 * Only for one plain track of sources that share their codec parameters.
 */
export const streamCopy: RenderStrategy = {
  name: 'stream-copy',
  consider: considerStreamCopy,
  plan: planStreamCopy,
};

const copyableVideo: Record<Container, readonly string[]> = {
  mp4: ['h264', 'hevc', 'av1', 'vp9'],
  mov: ['h264', 'hevc', 'prores'],
  webm: ['vp8', 'vp9', 'av1'],
  mp3: [],
  m4a: [],
  wav: [],
};
const copyableAudio: Record<Container, readonly string[]> = {
  mp4: ['aac', 'mp3', 'opus', 'ac3'],
  mov: ['aac', 'mp3', 'pcm_s16le', 'ac3'],
  webm: ['opus', 'vorbis'],
  mp3: ['mp3'],
  m4a: ['aac'],
  wav: ['pcm_s16le'],
};

function sameParameters(a: MediaInfo, b: MediaInfo): string | undefined {
  const checks: [string, unknown, unknown][] = [
    ['kind', a.kind, b.kind],
    ['video codec', a.videoCodec, b.videoCodec],
    ['size', `${a.width}x${a.height}`, `${b.width}x${b.height}`],
    ['pixel format', a.pixelFormat, b.pixelFormat],
    ['frame rate', a.frameRate && a.frameRate.num / a.frameRate.den, b.frameRate && b.frameRate.num / b.frameRate.den],
    ['audio codec', a.audioCodec, b.audioCodec],
    ['sample rate', a.sampleRate, b.sampleRate],
    ['channels', a.channels, b.channels],
  ];
  const differing = checks.find(([, x, y]) => x !== y);
  return differing?.[0];
}

function considerStreamCopy(ctx: PlanContext): Eligibility {
  const { group, sources, settings } = ctx;
  const no = (reason: string): Eligibility => ({ ok: false, reason: `accuracy="gop" asked, but ${reason}: full render` });
  if (!group.tracks.every((t) => t.accuracy === 'gop')) return { ok: false, reason: 'frame accuracy asked' };
  if (group.tracks.length !== 1) return no('the group has several tracks (layers need compositing)');
  const [track] = group.tracks;
  for (const clip of track!.clips) {
    if (clip.transitionToNext) return no(`the clip at line ${clip.line} has a transition`);
    if (clip.effects.length > 0) return no(`the clip at line ${clip.line} has effects`);
    const p = clip.params;
    if (p.x || p.y || p.width || p.height || p.opacity !== 1 || p.volume !== 1 || p.videoFadeInHns || p.videoFadeOutHns || p.audioFadeInHns || p.audioFadeOutHns) {
      return no(`the clip at line ${clip.line} has params that change its picture or sound`);
    }
    if (clip.positioned && clip.sourceStopHns - clip.sourceStartHns !== clip.timelineStopHns - clip.timelineStartHns) {
      return no(`the clip at line ${clip.line} changes speed`);
    }
  }
  const clips = track!.clips;
  for (let i = 1; i < clips.length; i++) {
    if (clips[i]!.timelineStartHns !== clips[i - 1]!.timelineStopHns) return no(`the clip at line ${clips[i]!.line} leaves a gap`);
  }
  const first = sources.get(clips[0]!.src)!.probe;
  if (first.kind === 'image') return no('images must be encoded');
  for (const clip of clips) {
    const differs = sameParameters(first, sources.get(clip.src)!.probe);
    if (differs) return no(`sources differ in ${differs}`);
  }
  if (settings.hasVideo && !copyableVideo[settings.container].includes(first.videoCodec ?? '')) {
    return no(`${first.videoCodec} video cannot be copied into ${settings.container}`);
  }
  if (settings.hasAudio && !copyableAudio[settings.container].includes(first.audioCodec ?? '')) {
    return no(`${first.audioCodec} audio cannot be copied into ${settings.container}`);
  }
  const asked: [string, boolean][] = [
    ['width', group.width !== undefined && group.width !== first.width],
    ['height', group.height !== undefined && group.height !== first.height],
    ['framerate', group.frameRate !== undefined && first.frameRate !== undefined && group.frameRate.num * first.frameRate.den !== first.frameRate.num * group.frameRate.den],
    ['samplerate', group.sampleRate !== undefined && group.sampleRate !== first.sampleRate],
    ['vcodec', group.videoCodec !== undefined && group.videoCodec !== first.videoCodec],
    ['acodec', group.audioCodec !== undefined && group.audioCodec !== first.audioCodec],
  ];
  const changed = asked.find(([, differs]) => differs);
  if (changed) return no(`the group asks for a different ${changed[0]}`);
  return { ok: true, reason: 'accuracy="gop" on a plain track of matching sources: copied from keyframes, nothing re-encoded' };
}

/** ffconcat quoting: single quotes, with a quote written as '\''. */
function quoteConcatPath(file: string): string {
  return `'${file.replace(/'/g, "'\\''")}'`;
}

async function planStreamCopy(ctx: PlanContext): Promise<GroupPlan> {
  const { group, sources, settings } = ctx;
  const track = group.tracks[0]!;
  const keyframesOf = new Map<string, number[]>();
  const lines = ['ffconcat version 1.0'];
  let totalS = 0;
  for (const clip of track.clips) {
    const source = sources.get(clip.src)!;
    let keyframes = keyframesOf.get(source.input);
    if (!keyframes) {
      try {
        keyframes = source.probe.hasVideo ? await listKeyframes(source.input, { signal: ctx.signal }) : [];
      } catch (error) {
        if (ctx.signal?.aborted) throw new RenderError('aborted', 'the render was aborted');
        throw new RenderError('source_unreadable', `keyframes of source "${clip.src}" could not be read: ${(error as Error).message}`, { cause: error });
      }
      keyframesOf.set(source.input, keyframes);
    }
    const inS = clip.sourceStartHns / 1e7;
    const outS = clip.sourceStopHns / 1e7;
    // The last keyframe at or before the in point (a microsecond of slack for rounding).
    const startS = keyframes.filter((k) => k <= inS + 1e-6).at(-1) ?? (source.probe.hasVideo ? 0 : inS);
    lines.push(`file ${quoteConcatPath(source.input)}`, `inpoint ${secondsArg(startS)}`, `outpoint ${secondsArg(outS)}`);
    totalS += outS - startS;
  }
  const listPath = path.join(ctx.workDir, `.concat-${group.index}.ffconcat`);
  const maps = [...(settings.hasVideo && track.video ? ['-map', '0:v:0'] : []), ...(settings.hasAudio && track.audio ? ['-map', '0:a:0'] : [])];
  const args = [
    '-f',
    'concat',
    '-safe',
    '0',
    '-protocol_whitelist',
    'file,http,https,tcp,tls,crypto',
    '-i',
    listPath,
    ...maps,
    '-c',
    'copy',
    '-avoid_negative_ts',
    'make_zero',
    '-map_metadata',
    '-1',
    ...muxerArgs(settings),
    '-y',
    ctx.partialPath,
  ];
  return {
    groupIndex: group.index,
    strategy: 'stream-copy',
    reason: 'accuracy="gop" on a plain track of matching sources: copied from keyframes, nothing re-encoded',
    settings: { ...settings, durationHns: Math.round(totalS * 1e7) },
    outputPath: ctx.outputPath,
    partialPath: ctx.partialPath,
    tempPaths: [listPath],
    steps: [
      { kind: 'write-file', description: 'concat list', path: listPath, contents: `${lines.join('\n')}\n` },
      // Copying costs a small fraction of encoding the same length.
      { kind: 'ffmpeg', description: `copy ${track.clips.length} clip(s) from keyframes`, args, expectedDurationS: totalS, weight: totalS * 0.05 },
    ],
  };
}
