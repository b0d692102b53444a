import path from 'node:path';
import { listPackets, type PacketInfo } from '../ffmpeg/ffprobe.js';
import type { MediaInfo } from '../ffmpeg/media-info.js';
import type { Container } from '../xtl/model.js';
import { muxerArgs } from './encoder-args.js';
import { INPUT_PROTOCOLS } from './sources.js';
import { CONTAINER_EXTENSIONS } from './output-settings.js';
import type { Eligibility, GroupPlan, PlanContext, RenderStrategy } from './plan.js';
import { RenderError } from './render-error.js';
import { secondsArg } from './timing.js';

/**
 * accuracy="gop": no decoding, no encoding. Each clip is widened to whole GOPs (from the keyframe
 * at or before its in point to the keyframe at or after its out point), copied into a segment,
 * and the segments are joined by ffmpeg's concat demuxer. Only for one plain track of sources
 * that share their codec parameters.
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
    if (
      p.x ||
      p.y ||
      p.width ||
      p.height ||
      p.opacity !== 1 ||
      p.volume !== 1 ||
      p.videoFadeInHns ||
      p.videoFadeOutHns ||
      p.audioFadeInHns ||
      p.audioFadeOutHns
    ) {
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
    [
      'framerate',
      group.frameRate !== undefined && first.frameRate !== undefined && group.frameRate.num * first.frameRate.den !== first.frameRate.num * group.frameRate.den,
    ],
    ['samplerate', group.sampleRate !== undefined && group.sampleRate !== first.sampleRate],
    ['vcodec', group.videoCodec !== undefined && group.videoCodec !== first.videoCodec],
    ['acodec', group.audioCodec !== undefined && group.audioCodec !== first.audioCodec],
  ];
  const changed = asked.find(([, differs]) => differs);
  if (changed) return no(`the group asks for a different ${changed[0]}`);
  return { ok: true, reason: 'accuracy="gop" on a plain track of matching sources: whole GOPs copied, nothing re-encoded' };
}

/** ffconcat quoting: single quotes, with a quote written as '\''. */
function quoteConcatPath(file: string): string {
  return `'${file.replace(/'/g, "'\\''")}'`;
}

interface GopCut {
  /** Keyframe at or before the in point, in seconds. */
  startS: number;
  /** Keyframe at or after the out point (or the end of the source). */
  endS: number;
  /** Video packets from the first keyframe up to the next cut's keyframe, in decoding order. */
  videoPackets: number | undefined;
}

/**
 * Widens a clip to whole GOPs. Counting packets in decoding order (not by time) keeps the
 * B-frames that belong to the last GOP and leaves out the next GOP's keyframe.
 */
function gopCut(packets: PacketInfo[] | undefined, inS: number, outS: number, sourceEndS: number): GopCut {
  if (!packets) return { startS: inS, endS: outS, videoPackets: undefined };
  const keyIndexes = packets.map((p, i) => (p.keyframe && p.ptsS !== undefined ? i : -1)).filter((i) => i >= 0);
  const epsilon = 1e-6;
  const startIndex = [...keyIndexes].reverse().find((i) => packets[i]!.ptsS! <= inS + epsilon) ?? keyIndexes[0] ?? 0;
  const endIndex = keyIndexes.find((i) => packets[i]!.ptsS! >= outS - epsilon && i > startIndex);
  return {
    startS: packets[startIndex]?.ptsS ?? 0,
    endS: endIndex === undefined ? sourceEndS : packets[endIndex]!.ptsS!,
    videoPackets: (endIndex ?? packets.length) - startIndex,
  };
}

async function planStreamCopy(ctx: PlanContext): Promise<GroupPlan> {
  const { group, sources, settings } = ctx;
  const track = group.tracks[0]!;
  const packetsOf = new Map<string, PacketInfo[]>();
  const steps: GroupPlan['steps'] = [];
  const videoSegments: { segment: string; durationS: number }[] = [];
  const audioSegments: { segment: string; durationS: number }[] = [];
  const muxer = muxerArgs(settings).at(-1)!;
  const extension = CONTAINER_EXTENSIONS[settings.container];
  const withVideo = settings.hasVideo && track.video;
  const withAudio = settings.hasAudio && track.audio;
  let totalS = 0;
  for (const [i, clip] of track.clips.entries()) {
    const source = sources.get(clip.src)!;
    let packets = packetsOf.get(source.input);
    if (!packets && withVideo) {
      try {
        packets = await listPackets(source.input, source.probe.videoStreamIndex ?? 0, { signal: ctx.signal });
      } catch (error) {
        if (ctx.signal?.aborted) throw new RenderError('aborted', 'the render was aborted');
        throw new RenderError('source_unreadable', `packets of source "${clip.src}" could not be read: ${(error as Error).message}`, { cause: error });
      }
      packetsOf.set(source.input, packets);
    }
    const cut = gopCut(packets, clip.sourceStartHns / 1e7, clip.sourceStopHns / 1e7, (source.probe.durationHns ?? clip.sourceStopHns) / 1e7);
    const durationS = cut.endS - cut.startS;
    const seek = cut.startS > 0 ? ['-ss', secondsArg(cut.startS)] : [];
    const segmentArgs = (segment: string) => ['-map_metadata', '-1', '-f', muxer, '-y', segment];
    // Picture and sound are copied apart: a frame limit on one stream would end the other too.
    if (withVideo) {
      const segment = path.join(ctx.workDir, `.gop-${group.index}-${i}-v.${extension}`);
      videoSegments.push({ segment, durationS });
      steps.push({
        kind: 'ffmpeg',
        description: `copy the picture of clip ${i + 1} (line ${clip.line}) from the keyframe at ${secondsArg(cut.startS)}s`,
        args: [
          ...seek,
          '-protocol_whitelist',
          INPUT_PROTOCOLS,
          '-i',
          source.input,
          '-map',
          `0:${source.probe.videoStreamIndex ?? 'v:0'}`,
          '-c',
          'copy',
          ...(cut.videoPackets !== undefined ? ['-frames:v', String(cut.videoPackets)] : ['-t', secondsArg(durationS)]),
          ...segmentArgs(segment),
        ],
        expectedDurationS: durationS,
        // Copying costs a small fraction of encoding the same length.
        weight: durationS * 0.05,
      });
    }
    if (withAudio) {
      const segment = path.join(ctx.workDir, `.gop-${group.index}-${i}-a.${extension}`);
      audioSegments.push({ segment, durationS });
      steps.push({
        kind: 'ffmpeg',
        description: `copy the sound of clip ${i + 1} (line ${clip.line})`,
        args: [
          ...seek,
          '-protocol_whitelist',
          INPUT_PROTOCOLS,
          '-i',
          source.input,
          '-map',
          `0:${source.probe.audioStreamIndex ?? 'a:0'}`,
          '-c',
          'copy',
          '-t',
          secondsArg(durationS),
          ...segmentArgs(segment),
        ],
        expectedDurationS: durationS,
        weight: durationS * 0.02,
      });
    }
    totalS += durationS;
  }
  // Every entry lasts exactly its GOPs, so the sound keeps step with the picture at each join
  // (an audio packet running past a join is dropped rather than pushing the rest later).
  const concatList = (entries: { segment: string; durationS: number }[], cutAudio: boolean) =>
    [
      'ffconcat version 1.0',
      ...entries.flatMap((e) => [
        `file ${quoteConcatPath(e.segment)}`,
        `duration ${secondsArg(e.durationS)}`,
        ...(cutAudio ? [`outpoint ${secondsArg(e.durationS)}`] : []),
      ]),
    ].join('\n') + '\n';
  const lists: { path: string; contents: string }[] = [];
  if (videoSegments.length > 0) lists.push({ path: path.join(ctx.workDir, `.concat-${group.index}-v.ffconcat`), contents: concatList(videoSegments, false) });
  if (audioSegments.length > 0) lists.push({ path: path.join(ctx.workDir, `.concat-${group.index}-a.ffconcat`), contents: concatList(audioSegments, true) });
  for (const list of lists) steps.push({ kind: 'write-file', description: 'concat list', path: list.path, contents: list.contents });
  steps.push({
    kind: 'ffmpeg',
    description: `join ${track.clips.length} copied clip(s)`,
    args: [
      ...lists.flatMap((l) => ['-f', 'concat', '-safe', '0', '-i', l.path]),
      ...lists.flatMap((_, i) => ['-map', `${i}:0`]),
      '-c',
      'copy',
      '-map_metadata',
      '-1',
      ...muxerArgs(settings),
      '-y',
      ctx.partialPath,
    ],
    expectedDurationS: totalS,
    weight: totalS * 0.05,
    phase: 'join',
  });
  const segments = [...videoSegments, ...audioSegments].map((e) => e.segment);
  return {
    groupIndex: group.index,
    strategy: 'stream-copy',
    reason: 'accuracy="gop" on a plain track of matching sources: whole GOPs copied, nothing re-encoded',
    settings: { ...settings, durationHns: Math.round(totalS * 1e7) },
    outputPath: ctx.outputPath,
    partialPath: ctx.partialPath,
    tempPaths: [...lists.map((l) => l.path), ...segments],
    steps,
  };
}
