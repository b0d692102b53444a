import path from 'node:path';
import type { MediaInfo } from '../ffmpeg/media-info.js';
import type { XtlClip, XtlTrack, XtlTransition } from '../xtl/model.js';
import { clipWindow, type ClipWindow } from './clip-window.js';
import { effectFilters } from './effects.js';
import { audioEncoderArgs, gpuEncoderFor, gpuFallbackNote, muxerArgs, videoEncoderArgs } from './encoder-args.js';
import { FilterGraph } from './filter-graph.js';
import { fillsFrame, placePicture, samePlacement, visiblePart, type Placement } from './geometry.js';
import type { FfmpegStep, GroupPlan, PlanContext, RenderStrategy, WriteFileStep } from './plan.js';
import { INPUT_PROTOCOLS, type ResolvedSource } from './sources.js';
import { framesToSeconds, frameAt, rateArg, sampleAt, secondsArg } from './timing.js';

/**
 * The general strategy: one ffmpeg run per group with a filtergraph that cuts every clip
 * frame-exactly (decoding from the keyframe before its in point), conforms size, frame rate and
 * sample rate, lays tracks over each other, mixes their sound, and encodes once.
 */
export const fullRender: RenderStrategy = {
  name: 'full-render',
  consider: () => ({ ok: true, reason: 'frame-accurate render of the whole timeline' }),
  plan: planFullRender,
};

/** A stream in the graph that starts at 0 and lasts exactly `length` frames or samples. */
export interface Piece {
  label: string;
  length: number;
}

export interface PlacedClip {
  clip: XtlClip;
  source: ResolvedSource;
  window: ClipWindow;
}

/** Builds the full render's filtergraph; other strategies use it for the parts they render the same way. */
export class GraphBuilder {
  readonly graph = new FilterGraph();
  readonly inputArgs: string[][] = [];
  readonly writes: WriteFileStep[] = [];
  private readonly inputOfClip = new Map<XtlClip, number>();
  /** Where each clip's input was opened (seconds into its source): time 0 of its streams. */
  private readonly seekOfClip = new Map<XtlClip, number>();
  private readonly W: number;
  private readonly H: number;
  private readonly rate: string;
  private readonly tb: string;

  constructor(private readonly ctx: PlanContext) {
    this.W = ctx.settings.width;
    this.H = ctx.settings.height;
    this.rate = rateArg(ctx.settings.frameRate);
    // The time base of every video stream in the graph: one tick per output frame.
    this.tb = `${ctx.settings.frameRate.den}/${ctx.settings.frameRate.num}`;
  }

  private get settings() {
    return this.ctx.settings;
  }

  /** One ffmpeg input per clip, opened at (just before) its in point and read to its out point. */
  private input(placed: PlacedClip): number {
    const existing = this.inputOfClip.get(placed.clip);
    if (existing !== undefined) return existing;
    const { window, source } = placed;
    const args: string[] = [];
    if (source.probe.kind !== 'image') {
      // Input seeking lands on the keyframe before the seek point and decodes from there; the
      // margin keeps the exact cut (made in the graph) clear of the seek's own rounding.
      const seekS = window.inS > 0.1 ? window.inS - 0.1 : 0;
      if (seekS > 0) args.push('-ss', secondsArg(seekS));
      args.push('-t', secondsArg(window.outS - seekS + 0.5));
      this.seekOfClip.set(placed.clip, seekS);
    }
    // Sources are files or http(s) URLs; nothing else (concat:, subfile:, data:...) is opened.
    args.push('-protocol_whitelist', INPUT_PROTOCOLS, '-i', source.input);
    this.inputArgs.push(args);
    const index = this.inputArgs.length - 1;
    this.inputOfClip.set(placed.clip, index);
    return index;
  }

  private seekOf(placed: PlacedClip): number {
    return this.seekOfClip.get(placed.clip) ?? 0;
  }

  private streamRef(index: number, probe: MediaInfo, kind: 'v' | 'a'): string {
    const streamIndex = kind === 'v' ? probe.videoStreamIndex : probe.audioStreamIndex;
    return streamIndex === undefined ? `${index}:${kind}:0` : `${index}:${streamIndex}`;
  }

  private textFile(text: string): string {
    const file = path.join(this.ctx.workDir, `.text-${this.ctx.group.index}-${this.writes.length}.txt`);
    this.writes.push({ kind: 'write-file', description: 'text for a text effect', path: file, contents: text });
    return file;
  }

  // ---- video ---------------------------------------------------------------------------------

  placementOf(placed: PlacedClip): Placement {
    const probe = placed.source.probe;
    const sar = probe.sampleAspect ?? { num: 1, den: 1 };
    return placePicture(
      { width: (probe.width ?? this.W) * (sar.num / sar.den), height: probe.height ?? this.H },
      { width: this.W, height: this.H },
      placed.clip.params,
    );
  }

  /** Solid colour (`black@0` is transparent) for `frames` frames. */
  colorPiece(color: string, frames: number, size: { width: number; height: number }, alpha: boolean): Piece {
    const label = this.graph.label('c');
    this.graph.chain(
      [],
      [
        `color=c=${color}:s=${size.width}x${size.height}:r=${this.rate}`,
        `format=${alpha ? 'yuva420p' : 'yuv420p'}`,
        `trim=end_frame=${frames}`,
        `settb=expr=${this.tb}`,
      ],
      label,
      'source',
    );
    return { label, length: frames };
  }

  /**
   * A clip's picture, exactly `frames` frames from pts 0 at the output rate. `canvas`: placed on
   * a full frame filled with `fill` (opaque background, or transparent); otherwise only the
   * placed picture, for an overlay at its position.
   */
  clipPicture(placed: PlacedClip, placement: Placement, mode: { canvas: true; fill: string; alpha: boolean } | { canvas: false; alpha: boolean }): Piece {
    const { window, source, clip } = placed;
    const frames = window.endFrame - window.startFrame;
    const index = this.input(placed);
    const filters: string[] = [];
    const image = source.probe.kind === 'image';
    if (!image) {
      const seekS = this.seekOf(placed);
      const startS = window.inS - seekS - window.halfFrameS;
      const endS = window.outS - seekS - window.halfFrameS;
      filters.push(`trim=${startS > 0 ? `start=${secondsArg(startS)}:` : ''}end=${secondsArg(endS)}`, 'setpts=PTS-STARTPTS');
      if (window.speed !== 1) filters.push(`setpts=PTS/${window.speed}`);
    }
    filters.push(...effectFilters(clip.effects, (text) => this.textFile(text)));
    if (!image) filters.push(`fps=${this.rate}`);
    filters.push(`scale=${placement.scaledWidth}:${placement.scaledHeight}`);
    if (placement.crop) filters.push(`crop=${placement.crop.width}:${placement.crop.height}:${placement.crop.x}:${placement.crop.y}`);
    filters.push('setsar=1', `format=${mode.alpha ? 'yuva420p' : 'yuv420p'}`);
    if (mode.canvas && !fillsFrame(placement, { width: this.W, height: this.H })) {
      const visible = visiblePart(placement, { width: this.W, height: this.H })!;
      if (visible.width !== placement.width || visible.height !== placement.height)
        filters.push(`crop=${visible.width}:${visible.height}:${visible.cropX}:${visible.cropY}`);
      filters.push(`pad=${this.W}:${this.H}:${visible.x}:${visible.y}:color=${mode.fill}`);
    }
    if (image) {
      // Scale once, then repeat the finished picture: far cheaper than decoding it per frame.
      filters.push(`loop=loop=${frames - 1}:size=1:start=0`, `settb=expr=${this.tb}`, 'setpts=N', `fps=${this.rate}`);
    } else {
      // Exactly `frames` frames: a source a frame short (rounding, a short last GOP) repeats its last.
      filters.push('tpad=stop_mode=clone:stop=-1', `trim=end_frame=${frames}`);
    }
    const fadeColor = mode.canvas && !mode.alpha ? `:color=${mode.fill}` : ':alpha=1';
    const { videoFadeInHns, videoFadeOutHns, opacity } = clip.params;
    if (videoFadeInHns > 0) filters.push(`fade=t=in:st=0:d=${secondsArg(videoFadeInHns / 1e7)}${fadeColor}`);
    if (videoFadeOutHns > 0) {
      const durationS = framesToSeconds(frames, this.settings.frameRate);
      filters.push(`fade=t=out:st=${secondsArg(durationS - videoFadeOutHns / 1e7)}:d=${secondsArg(videoFadeOutHns / 1e7)}${fadeColor}`);
    }
    if (opacity < 1) filters.push(`lutyuv=a=val*${opacity}`);
    const label = this.graph.label('v');
    this.graph.chain([this.streamRef(index, source.probe, 'v')], filters, label);
    return { label, length: frames };
  }

  /** Joins pieces in order; a transition overlaps the pieces on either side of it. */
  joinVideo(pieces: Piece[], transitions: (XtlTransition | undefined)[], overlaps: number[]): Piece {
    return this.join(pieces, transitions, overlaps, 'video');
  }

  // ---- audio ---------------------------------------------------------------------------------

  silence(samples: number): Piece {
    const label = this.graph.label('s');
    this.graph.chain([], [`anullsrc=r=${this.settings.sampleRate}:cl=stereo`, `atrim=end_sample=${samples}`, 'aformat=sample_fmts=fltp'], label, 'source');
    return { label, length: samples };
  }

  clipSound(placed: PlacedClip): Piece {
    const { window, source, clip } = placed;
    const samples = window.endSample - window.startSample;
    if (!source.probe.hasAudio) return this.silence(samples);
    const index = this.input(placed);
    const sourceRate = source.probe.sampleRate ?? this.settings.sampleRate;
    const seekS = this.seekOf(placed);
    const filters = [
      `atrim=start_sample=${Math.round((window.inS - seekS) * sourceRate)}:end_sample=${Math.round((window.outS - seekS) * sourceRate)}`,
      'asetpts=PTS-STARTPTS',
    ];
    if (window.speed !== 1) {
      // atempo takes 0.5 to 100 per instance: chain halves for slower speeds.
      let remaining = window.speed;
      while (remaining < 0.5) {
        filters.push('atempo=0.5');
        remaining /= 0.5;
      }
      filters.push(`atempo=${remaining}`);
    }
    // A mono source plays at full level on both sides (the default upmix would lower it 3 dB).
    if (source.probe.channels === 1) filters.push('pan=stereo|c0=c0|c1=c0');
    filters.push(
      `aresample=${this.settings.sampleRate}`,
      `aformat=sample_fmts=fltp:sample_rates=${this.settings.sampleRate}:channel_layouts=stereo`,
      `apad=whole_len=${samples}`,
      `atrim=end_sample=${samples}`,
    );
    const { volume, audioFadeInHns, audioFadeOutHns } = clip.params;
    if (volume !== 1) filters.push(`volume=${volume}`);
    if (audioFadeInHns > 0) filters.push(`afade=t=in:ss=0:ns=${sampleAt(audioFadeInHns, this.settings.sampleRate)}`);
    if (audioFadeOutHns > 0) {
      const fadeSamples = sampleAt(audioFadeOutHns, this.settings.sampleRate);
      filters.push(`afade=t=out:ss=${samples - fadeSamples}:ns=${fadeSamples}`);
    }
    const label = this.graph.label('a');
    this.graph.chain([this.streamRef(index, source.probe, 'a')], filters, label, 'audio');
    return { label, length: samples };
  }

  joinAudio(pieces: Piece[], transitions: (XtlTransition | undefined)[], overlaps: number[]): Piece {
    return this.join(pieces, transitions, overlaps, 'audio');
  }

  // ---- joining -------------------------------------------------------------------------------

  private concat(pieces: Piece[], kind: 'video' | 'audio'): Piece {
    if (pieces.length === 1) return pieces[0]!;
    const label = this.graph.label(kind === 'video' ? 'j' : 'k');
    const retime = kind === 'video' ? `settb=expr=${this.tb}` : `asettb=expr=1/${this.settings.sampleRate}`;
    this.graph.chain(
      pieces.map((p) => p.label),
      [`concat=n=${pieces.length}:v=${kind === 'video' ? 1 : 0}:a=${kind === 'audio' ? 1 : 0}`, retime],
      label,
      kind,
    );
    return { label, length: pieces.reduce((sum, p) => sum + p.length, 0) };
  }

  private transition(left: Piece, right: Piece, transition: XtlTransition, overlap: number, kind: 'video' | 'audio'): Piece {
    const length = left.length + right.length - overlap;
    if (transition.type === 'fadeblack' || transition.type === 'fadewhite')
      return this.dip(left, right, transition.type === 'fadeblack' ? 'black' : 'white', overlap, kind);
    if (kind === 'video') {
      const label = this.graph.label('x');
      const type = transition.type === 'crossfade' ? 'fade' : transition.type;
      const rate = this.settings.frameRate;
      this.graph.chain(
        [left.label, right.label],
        [`xfade=transition=${type}:duration=${secondsArg(framesToSeconds(overlap, rate))}:offset=${secondsArg(framesToSeconds(left.length - overlap, rate))}`],
        label,
      );
      return { label, length };
    }
    const label = this.graph.label('x');
    this.graph.chain([left.label, right.label], [`acrossfade=ns=${overlap}:c1=tri:c2=tri`], label, 'audio');
    return { label, length };
  }

  /**
   * Through black (or white), picture and sound alike: the first clip fades out over the first
   * half of the overlap, the second fades in over the second half. Symmetric, unlike xfade's
   * fadeblack, so the darkest frame and the quietest sample fall at the same instant.
   */
  private dip(left: Piece, right: Piece, color: 'black' | 'white', overlap: number, kind: 'video' | 'audio'): Piece {
    const firstHalf = Math.floor(overlap / 2);
    const secondHalf = overlap - firstHalf;
    const leftEnd = left.length - secondHalf;
    const outLabel = this.graph.label('d');
    const inLabel = this.graph.label('d');
    if (kind === 'video') {
      this.graph.chain(
        [left.label],
        [`trim=end_frame=${leftEnd}`, `fade=t=out:start_frame=${leftEnd - firstHalf}:nb_frames=${Math.max(1, firstHalf)}:color=${color}`],
        outLabel,
      );
      this.graph.chain(
        [right.label],
        [`trim=start_frame=${firstHalf}`, 'setpts=PTS-STARTPTS', `fade=t=in:start_frame=0:nb_frames=${secondHalf}:color=${color}`],
        inLabel,
      );
    } else {
      this.graph.chain([left.label], [`atrim=end_sample=${leftEnd}`, `afade=t=out:ss=${leftEnd - firstHalf}:ns=${Math.max(1, firstHalf)}`], outLabel, 'audio');
      this.graph.chain([right.label], [`atrim=start_sample=${firstHalf}`, 'asetpts=PTS-STARTPTS', `afade=t=in:ss=0:ns=${secondHalf}`], inLabel, 'audio');
    }
    return this.concat(
      [
        { label: outLabel, length: leftEnd },
        { label: inLabel, length: right.length - firstHalf },
      ],
      kind,
    );
  }

  private join(pieces: Piece[], transitions: (XtlTransition | undefined)[], overlaps: number[], kind: 'video' | 'audio'): Piece {
    let pending: Piece[] = [pieces[0]!];
    for (let i = 1; i < pieces.length; i++) {
      const transition = transitions[i - 1];
      const overlap = overlaps[i - 1] ?? 0;
      if (transition && overlap > 0) {
        const left = this.concat(pending, kind);
        pending = [this.transition(left, pieces[i]!, transition, overlap, kind)];
      } else {
        pending.push(pieces[i]!);
      }
    }
    return this.concat(pending, kind);
  }

  // ---- tracks --------------------------------------------------------------------------------

  placeClips(track: XtlTrack): PlacedClip[] {
    return track.clips.map((clip) => {
      const source = this.ctx.sources.get(clip.src)!;
      return { clip, source, window: clipWindow(clip, source.probe, this.settings) };
    });
  }

  /** The bottom track as an opaque picture covering the whole group (background in the gaps). */
  bottomTrack(placed: PlacedClip[], totalFrames: number): Piece {
    const frame = { width: this.W, height: this.H };
    const fill = this.settings.background;
    const pieces: Piece[] = [];
    const transitions: (XtlTransition | undefined)[] = [];
    const overlaps: number[] = [];
    let cursor = 0;
    for (const [i, p] of placed.entries()) {
      const frames = p.window.endFrame - p.window.startFrame;
      const previous = placed[i - 1];
      const joinedByTransition = previous?.clip.transitionToNext !== undefined;
      if (!joinedByTransition && p.window.startFrame > cursor) {
        pieces.push(this.colorPiece(fill, p.window.startFrame - cursor, frame, false));
        transitions.push(undefined);
        overlaps.push(0);
      }
      if (frames <= 0) continue;
      const placement = this.placementOf(p);
      const visible = p.source.probe.hasVideo && visiblePart(placement, frame) !== undefined;
      pieces.push(visible ? this.clipPicture(p, placement, { canvas: true, fill, alpha: false }) : this.colorPiece(fill, frames, frame, false));
      transitions.push(p.clip.transitionToNext);
      overlaps.push(p.clip.transitionToNext && placed[i + 1] ? p.window.endFrame - placed[i + 1]!.window.startFrame : 0);
      cursor = p.window.endFrame;
    }
    if (totalFrames > cursor) {
      pieces.push(this.colorPiece(fill, totalFrames - cursor, frame, false));
      transitions.push(undefined);
      overlaps.push(0);
    }
    // The transition list holds the join after each piece; join() wants the join before each.
    return this.joinVideo(pieces, transitions.slice(0, -1), overlaps.slice(0, -1));
  }

  /** A track laid over `base`: each run of adjacent clips is one overlay from its start frame. */
  overlayTrack(base: Piece, placed: PlacedClip[]): Piece {
    const frame = { width: this.W, height: this.H };
    const runs: PlacedClip[][] = [];
    for (const [i, p] of placed.entries()) {
      if (p.window.endFrame <= p.window.startFrame) continue;
      const previous = placed[i - 1];
      const touching =
        previous !== undefined &&
        (previous.clip.transitionToNext !== undefined || (previous.window.endFrame === p.window.startFrame && hasPicture(previous) && hasPicture(p)));
      if (touching && runs.length > 0 && runs.at(-1)!.includes(previous)) runs.at(-1)!.push(p);
      else if (hasPicture(p) || p.clip.transitionToNext !== undefined) runs.push([p]);
    }
    let current = base;
    for (const run of runs) {
      const placements = run.map((p) => this.placementOf(p));
      const shared = placements.every((pl) => samePlacement(pl, placements[0]!)) ? placements[0]! : undefined;
      const pieces = run.map((p, i) => {
        const frames = p.window.endFrame - p.window.startFrame;
        const placement = placements[i]!;
        const visible = visiblePart(placement, frame) !== undefined;
        if (!hasPicture(p) || !visible) {
          return this.colorPiece('black@0', frames, shared ? { width: shared.width, height: shared.height } : frame, true);
        }
        return shared
          ? this.clipPicture(p, placement, { canvas: false, alpha: true })
          : this.clipPicture(p, placement, { canvas: true, fill: 'black@0', alpha: true });
      });
      const transitions = run.slice(0, -1).map((p) => p.clip.transitionToNext);
      const overlaps = run.slice(0, -1).map((p, i) => (p.clip.transitionToNext ? p.window.endFrame - run[i + 1]!.window.startFrame : 0));
      const joined = this.joinVideo(pieces, transitions, overlaps);
      const shifted = this.graph.label('o');
      this.graph.chain([joined.label], [`setpts=PTS+${run[0]!.window.startFrame}`], shifted);
      const composed = this.graph.label('l');
      const x = shared ? shared.x : 0;
      const y = shared ? shared.y : 0;
      // eof_action=pass: once the run ends, the picture below shows again.
      this.graph.chain([current.label, shifted], [`overlay=x=${x}:y=${y}:eof_action=pass:format=auto`], composed);
      current = { label: composed, length: base.length };
    }
    return current;
  }

  /** A track's sound from time 0 to its last clip's end (silence in the gaps). */
  trackSound(placed: PlacedClip[]): Piece | undefined {
    if (!placed.some((p) => p.source.probe.hasAudio)) return undefined;
    const pieces: Piece[] = [];
    const transitions: (XtlTransition | undefined)[] = [];
    const overlaps: number[] = [];
    let cursor = 0;
    for (const [i, p] of placed.entries()) {
      const previous = placed[i - 1];
      if (!previous?.clip.transitionToNext && p.window.startSample > cursor) {
        pieces.push(this.silence(p.window.startSample - cursor));
        transitions.push(undefined);
        overlaps.push(0);
      }
      if (p.window.endSample <= p.window.startSample) continue;
      pieces.push(this.clipSound(p));
      transitions.push(p.clip.transitionToNext);
      overlaps.push(p.clip.transitionToNext && placed[i + 1] ? p.window.endSample - placed[i + 1]!.window.startSample : 0);
      cursor = p.window.endSample;
    }
    return this.joinAudio(pieces, transitions.slice(0, -1), overlaps.slice(0, -1));
  }
}

function hasPicture(p: PlacedClip): boolean {
  return p.source.probe.hasVideo;
}

async function planFullRender(ctx: PlanContext): Promise<GroupPlan> {
  const { group, settings } = ctx;
  const builder = new GraphBuilder(ctx);
  const totalFrames = frameAt(settings.durationHns, settings.frameRate);
  const totalSamples = sampleAt(settings.durationHns, settings.sampleRate);
  const maps: string[] = [];

  if (settings.hasVideo) {
    const layers = group.tracks.filter((t) => t.video && t.clips.some((c) => ctx.sources.get(c.src)!.probe.hasVideo));
    const [bottom, ...upper] = layers.map((track) => builder.placeClips(track));
    let picture: Piece;
    // The bottom track is the base itself when it is opaque; otherwise it is laid over the background.
    if (bottom!.every((p) => p.clip.params.opacity === 1)) {
      picture = builder.bottomTrack(bottom!, totalFrames);
    } else {
      picture = builder.colorPiece(settings.background, totalFrames, { width: settings.width, height: settings.height }, false);
      upper.unshift(bottom!);
    }
    for (const track of upper) picture = builder.overlayTrack(picture, track);
    builder.graph.chain([picture.label], ['format=yuv420p'], 'vout');
    maps.push('-map', '[vout]');
  }
  if (settings.hasAudio) {
    const sounds = group.tracks
      .filter((t) => t.audio)
      .map((track) => builder.trackSound(builder.placeClips(track)))
      .filter((s): s is Piece => s !== undefined);
    const mixed = sounds.length === 1 ? sounds[0]! : { label: builder.graph.label('m'), length: 0 };
    if (sounds.length > 1) {
      // normalize=0: each track keeps the level its volume param gives it.
      builder.graph.chain(
        sounds.map((s) => s.label),
        [`amix=inputs=${sounds.length}:duration=longest:normalize=0`],
        mixed.label,
        'audio',
      );
    }
    builder.graph.chain([mixed.label], [`apad=whole_len=${totalSamples}`, `atrim=end_sample=${totalSamples}`], 'aout', 'audio');
    maps.push('-map', '[aout]');
  }

  const scriptPath = path.join(ctx.workDir, `.graph-${group.index}.txt`);
  const base = [...builder.inputArgs.flat(), '-filter_complex_script', scriptPath, ...maps, '-map_metadata', '-1', '-map_chapters', '-1'];
  const tail = [...(settings.hasAudio ? audioEncoderArgs(settings) : []), ...muxerArgs(settings), '-y', ctx.partialPath];
  const software = [...base, ...(settings.hasVideo ? videoEncoderArgs(settings, false) : []), ...tail];
  const gpuEncoder = settings.hasVideo && ctx.gpu ? gpuEncoderFor(settings) : undefined;
  const useGpu = gpuEncoder !== undefined && ctx.encoders.has(gpuEncoder);
  const durationS = settings.durationHns / 1e7;
  const encode: FfmpegStep = {
    kind: 'ffmpeg',
    description: `render ${group.tracks.length} track(s) to ${settings.container}${useGpu ? ` with ${gpuEncoder}` : ''}`,
    args: useGpu ? [...base, ...videoEncoderArgs(settings, true), ...tail] : software,
    expectedDurationS: durationS,
    weight: durationS,
    fallback: useGpu ? { reason: gpuFallbackNote(gpuEncoder!), args: software } : undefined,
  };
  let reason = 'frame-accurate render of the whole timeline';
  if (ctx.gpu && settings.hasVideo && !useGpu) {
    reason += gpuEncoder
      ? ` (GPU asked, but this ffmpeg has no ${gpuEncoder}: software encoder)`
      : ` (GPU asked, but NVENC has no ${settings.videoCodec} encoder: software encoder)`;
  }
  return {
    groupIndex: group.index,
    strategy: 'full-render',
    reason,
    settings,
    outputPath: ctx.outputPath,
    partialPath: ctx.partialPath,
    tempPaths: [scriptPath, ...builder.writes.map((w) => w.path)],
    steps: [...builder.writes, { kind: 'write-file', description: 'filtergraph', path: scriptPath, contents: builder.graph.toString() }, encode],
  };
}
