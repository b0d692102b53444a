import type { MediaInfo } from '../../ffmpeg/media-info.js';
import type { Eligibility, PlanContext } from '../plan.js';

/**
 * Whether a group is straight cuts that smart cutting can make, judged from what is known
 * before reading the sources: one plain track, nothing that changes a picture, sources of one
 * codec, size and rate that the output container can carry as they are. The codec parameters
 * that need a closer probe (profile, level, colour, field order) are compared when planning.
 */

/** Containers whose index lets a copy start on an exact keyframe (ffprobe's format names). */
const INDEXED_FORMATS = /(^|,)(mov|mp4)(,|$)/;
const SMART_CODECS = ['h264', 'hevc'];
const SMART_CONTAINERS = ['mp4', 'mov'];

function sameBasics(a: MediaInfo, b: MediaInfo): string | undefined {
  const rate = (p: MediaInfo) => (p.frameRate ? p.frameRate.num / p.frameRate.den : undefined);
  const sar = (p: MediaInfo) => (p.sampleAspect ? p.sampleAspect.num / p.sampleAspect.den : 1);
  const checks: [string, unknown, unknown][] = [
    ['codec', a.videoCodec, b.videoCodec],
    ['size', `${a.width}x${a.height}`, `${b.width}x${b.height}`],
    ['pixel format', a.pixelFormat, b.pixelFormat],
    ['frame rate', rate(a), rate(b)],
    ['sample aspect', sar(a), sar(b)],
  ];
  const differing = checks.find(([, x, y]) => x !== y);
  return differing ? `sources differ in ${differing[0]}` : undefined;
}

export function considerSmartCut(ctx: PlanContext): Eligibility {
  const { group, sources, settings } = ctx;
  // accuracy="gop" is the stream copy's, and a group without picture has nothing to copy.
  if (!group.tracks.every((t) => t.accuracy === 'frame')) return { ok: false, reason: 'GOP accuracy asked' };
  if (!settings.hasVideo) return { ok: false, reason: 'no picture to cut' };
  const no = (why: string): Eligibility => ({ ok: false, reason: `full render: ${why}`, notable: true });
  if (group.tracks.length !== 1) return no('the group has several tracks (layers are composited)');
  const track = group.tracks[0]!;
  if (!track.video) return no('the track gives no picture');
  const clips = track.clips;
  for (const [i, clip] of clips.entries()) {
    if (clip.transitionToNext) return no(`the clip at line ${clip.line} has a transition`);
    if (clip.effects.length > 0) return no(`the clip at line ${clip.line} has effects`);
    const p = clip.params;
    if (p.x || p.y || p.width || p.height || p.opacity !== 1 || p.videoFadeInHns || p.videoFadeOutHns) {
      return no(`the clip at line ${clip.line} has params that change its picture`);
    }
    if (clip.positioned && clip.sourceStopHns - clip.sourceStartHns !== clip.timelineStopHns - clip.timelineStartHns) {
      return no(`the clip at line ${clip.line} changes speed`);
    }
    const previousEnd = i === 0 ? 0 : clips[i - 1]!.timelineStopHns;
    if (clip.timelineStartHns !== previousEnd) return no(`the clip at line ${clip.line} leaves a gap`);
  }
  const probes = clips.map((c) => sources.get(c.src)!.probe);
  const first = probes[0]!;
  const still = clips.find((c) => sources.get(c.src)!.probe.kind !== 'video' || !sources.get(c.src)!.probe.hasVideo);
  if (still) return no(`the clip at line ${still.line} has no moving picture to copy`);
  for (const probe of probes) {
    const differs = sameBasics(first, probe);
    if (differs) return no(differs);
  }
  if (!SMART_CODECS.includes(first.videoCodec ?? '')) return no(`${first.videoCodec} sources are not smart-cut (H.264 and HEVC are)`);
  if (!SMART_CONTAINERS.includes(settings.container)) return no(`${settings.container} outputs are not smart-cut (MP4 and MOV are)`);
  const unindexed = probes.find((p) => !INDEXED_FORMATS.test(p.formatName));
  if (unindexed) return no(`a source is in ${unindexed.formatName}, not MP4/MOV`);
  const rate = first.frameRate;
  const asked: [string, boolean][] = [
    ['vcodec', group.videoCodec !== undefined && group.videoCodec !== first.videoCodec],
    ['width', group.width !== undefined && group.width !== first.width],
    ['height', group.height !== undefined && group.height !== first.height],
    ['framerate', group.frameRate !== undefined && rate !== undefined && group.frameRate.num * rate.den !== rate.num * group.frameRate.den],
  ];
  const changed = asked.find(([, differs]) => differs);
  if (changed) return no(`the group asks for a different ${changed[0]} than its sources'`);
  if (group.quality === 'lossless') return no('quality="lossless" asks for every frame to be encoded losslessly');
  return { ok: true, reason: 'straight cuts of matching sources' };
}
