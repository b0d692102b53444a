import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { FfprobeStream } from '../../ffmpeg/ffprobe.js';
import { rawProbeOf } from '../../ffmpeg/media-info.js';
import { FfmpegAbortedError, FfmpegUnavailableError } from '../../ffmpeg/errors.js';
import { clipWindow } from '../clip-window.js';
import { threadsPerStep } from '../execute-plan.js';
import { fullRender } from '../full-render.js';
import type { GroupPlan, PlanContext, RenderStrategy } from '../plan.js';
import { RenderError } from '../render-error.js';
import { HNS } from '../timing.js';
import { parameterDifference, probeCodecParameters, type CodecParameters } from './codec-parameters.js';
import { planPieces, type ClipFrames } from './cut-pieces.js';
import { considerSmartCut } from './eligibility.js';
import { canFindIdrs, mergeCleanEnds, scanGops, scanGopsInPlace, type GopMap, type ScanWindow } from './gop-scan.js';
import { pieceEncoder, type PieceEncoder } from './piece-encoder.js';
import { smartSound, smartSteps, type SmartSound, type SmartSource } from './smart-steps.js';
import { StartedStep } from '../started-step.js';

/**
 * Smart cutting: a frame-accurate render of straight cuts that copies every whole GOP inside
 * the cuts packet for packet and re-encodes only the partial GOPs at the cut points, with the
 * source's own codec settings. The sound is rendered as the full render renders it (one
 * continuous encode, cut sample-exactly), which is cheap next to the picture and leaves no
 * click, gap or drift at the joins. When a closer look at the sources shows they cannot be
 * joined this way, the group falls back to the full render and the log says why.
 */
export const smartCut: RenderStrategy = {
  name: 'smart-cut',
  consider: considerSmartCut,
  plan: planSmartCut,
};

/**
 * How much of a source is read around each cut to find its GOPs (seconds): a few GOPs of the
 * usual 1-2 s first; a clip whose cut points that did not settle is read over a wider window,
 * and only then whole.
 */
const SCAN_WINDOWS_S = [4, 30];
/** Read past an out point, to see the pictures decoded after the next keyframe. */
const SCAN_MARGIN_S = 2;
const WINDOWS_PER_SCAN = 32;

type Preparation =
  | { fallback: string }
  | {
      sources: Map<string, SmartSource>;
      clips: ClipFrames[];
      encoder: PieceEncoder;
      gops: Map<string, GopMap>;
      params: CodecParameters;
      timings: { probeMs: number; gopScanMs: number };
    };

async function fallback(ctx: PlanContext, why: string): Promise<GroupPlan> {
  const plan = await fullRender.plan(ctx);
  return { ...plan, reason: `full render: ${why}; ${plan.reason}` };
}

function mergeWindows(windows: ScanWindow[]): ScanWindow[] {
  const sorted = [...windows].sort((a, b) => a.fromS - b.fromS);
  const merged: ScanWindow[] = [];
  for (const w of sorted) {
    const last = merged.at(-1);
    if (last && w.fromS <= last.toS) last.toS = Math.max(last.toS, w.toS);
    else merged.push({ ...w });
  }
  return merged;
}

function mergeGops(a: GopMap, b: GopMap): GopMap {
  const keyframes = new Map(a.keyframes.map((k) => [k.frame, k]));
  for (const k of b.keyframes) {
    const known = keyframes.get(k.frame);
    const cleanEnds = mergeCleanEnds(known?.cleanEnds, k.cleanEnds);
    keyframes.set(k.frame, {
      frame: k.frame,
      idr: k.idr || (known?.idr ?? false),
      runStartFrame: k.runStartFrame ?? known?.runStartFrame,
      ...(cleanEnds ? { cleanEnds } : {}),
    });
  }
  return {
    keyframes: [...keyframes.values()].sort((x, y) => x.frame - y.frame),
    frameCount: a.frameCount ?? b.frameCount,
    reorderDepth: Math.max(a.reorderDepth, b.reorderDepth),
    offGrid: [...new Set([...a.offGrid, ...b.offGrid])],
  };
}

/** The typical distance between keyframes, for the re-encoded stretches' own keyframes. */
function typicalGop(gops: Iterable<GopMap>, params: CodecParameters): number {
  const gaps: number[] = [];
  for (const map of gops) for (let i = 1; i < map.keyframes.length; i++) gaps.push(map.keyframes[i]!.frame - map.keyframes[i - 1]!.frame);
  gaps.sort((x, y) => x - y);
  return gaps[Math.floor(gaps.length / 2)] ?? Math.round((2 * params.frameRate.num) / params.frameRate.den);
}

/**
 * The NAL length size of an H.264 source that the GOP scan may read in place (a local file of
 * length-prefixed NAL units, with the default ffmpeg), or undefined to scan it with ffmpeg.
 */
function inPlaceScan(ctx: PlanContext, input: string, stream: FfprobeStream | undefined, params: CodecParameters): number | undefined {
  if (ctx.ffmpegPath !== undefined || params.codec !== 'h264' || /^[a-z][a-z0-9+.-]*:/i.test(input)) return undefined;
  if (stream?.is_avc !== 'true' && stream?.is_avc !== '1') return undefined;
  const size = Number(stream.nal_length_size);
  return [1, 2, 3, 4].includes(size) ? size : undefined;
}

async function prepare(ctx: PlanContext): Promise<Preparation> {
  const track = ctx.group.tracks[0]!;
  const sources = new Map<string, SmartSource>();
  const probeStartedMs = performance.now();
  // Every source at once; the probe made when the source was resolved answers when there is one.
  const distinct = [...new Set(track.clips.map((clip) => clip.src))];
  const described = await Promise.all(
    distinct.map(async (src) => {
      const resolved = ctx.sources.get(src)!;
      const streamIndex = resolved.probe.videoStreamIndex ?? 0;
      const raw = rawProbeOf(resolved.probe);
      return { src, resolved, streamIndex, raw, params: await probeCodecParameters(resolved.input, streamIndex, ctx.signal, raw) };
    }),
  );
  const timings = { probeMs: performance.now() - probeStartedMs, gopScanMs: 0 };
  let first: CodecParameters | undefined;
  for (const { src, resolved, streamIndex, raw, params } of described) {
    if (!params) return { fallback: `the picture of source "${src}" could not be described` };
    if (params.fieldOrder && params.fieldOrder !== 'progressive') return { fallback: `source "${src}" is interlaced (${params.fieldOrder})` };
    if (!canFindIdrs(params.codec)) return { fallback: `${params.codec} sources are not smart-cut` };
    first ??= params;
    const differs = parameterDifference(first, params);
    if (differs) return { fallback: `sources differ in ${differs}` };
    const nalLengthSize = inPlaceScan(
      ctx,
      resolved.input,
      raw?.streams.find((st) => st.index === streamIndex),
      params,
    );
    sources.set(src, { src, input: resolved.input, streamIndex, params, offsetS: (resolved.probe.videoStartHns ?? 0) / HNS, nalLengthSize });
  }
  const params = first!;
  const probeEncoder = pieceEncoder(params, 1);
  if ('unsupported' in probeEncoder) return { fallback: probeEncoder.unsupported };

  const frameS = params.frameRate.den / params.frameRate.num;
  const clips: ClipFrames[] = [];
  for (const clip of track.clips) {
    const source = sources.get(clip.src)!;
    const window = clipWindow(clip, ctx.sources.get(clip.src)!.probe, ctx.settings);
    const from = Math.round((window.inS - source.offsetS) / frameS);
    const to = from + (window.endFrame - window.startFrame);
    if (source.params.frameCount !== undefined && to > source.params.frameCount) {
      return { fallback: `the clip at line ${clip.line} runs past the last frame of its source` };
    }
    clips.push({ source: clip.src, from, to });
  }

  // Read each source around its cut points, then wider across clips whose cut points were too
  // far from an IDR frame for the first look (and at last whole).
  const timeOf = (source: SmartSource, frame: number) => source.offsetS + frame * frameS;
  // Each window is an input of its own (the file opened once more): a few dozen per run.
  const scan = async (source: SmartSource, windows: ScanWindow[]) => {
    const merged = mergeWindows(windows);
    if (source.nalLengthSize !== undefined)
      return scanGopsInPlace(source.input, source.streamIndex, source.params, source.nalLengthSize, merged, { signal: ctx.signal });
    const parts = await Promise.all(
      Array.from({ length: Math.ceil(merged.length / WINDOWS_PER_SCAN) }, (_, k) =>
        scanGops(source.input, source.streamIndex, source.params, merged.slice(k * WINDOWS_PER_SCAN, (k + 1) * WINDOWS_PER_SCAN), {
          signal: ctx.signal,
          ffmpegPath: ctx.ffmpegPath,
        }),
      ),
    );
    return parts.reduce((map, part) => mergeGops(map, part));
  };
  const windowsOf = (c: ClipFrames, source: SmartSource, windowS: number): ScanWindow[] => {
    const fromS = timeOf(source, c.from);
    const toS = timeOf(source, c.to);
    if (toS - fromS <= 2 * windowS) return [{ fromS, toS: toS + SCAN_MARGIN_S }];
    return [
      { fromS, toS: fromS + windowS },
      { fromS: toS - windowS, toS: toS + SCAN_MARGIN_S },
    ];
  };
  const scanStartedMs = performance.now();
  const gops = new Map<string, GopMap>();
  const scanAll = async (pick: (source: SmartSource) => ScanWindow[]) =>
    Promise.all(
      [...sources.values()].map(async (source) => {
        const windows = pick(source);
        if (windows.length === 0) return;
        const map = await scan(source, windows);
        const known = gops.get(source.src);
        gops.set(source.src, known ? mergeGops(known, map) : map);
      }),
    );
  await scanAll((source) => clips.filter((c) => c.source === source.src).flatMap((c) => windowsOf(c, source, SCAN_WINDOWS_S[0]!)));
  for (let round = 1; round <= SCAN_WINDOWS_S.length; round++) {
    const previousS = SCAN_WINDOWS_S[round - 1]!;
    const windowS = SCAN_WINDOWS_S[round];
    const plan = planPieces(clips, (src) => gops.get(src)!);
    const previousFrames = previousS / frameS;
    const unsure = clips.filter((c) => {
      if (c.to - c.from <= 2 * previousFrames) return false;
      const copy = plan.pieces.find((p) => p.kind === 'copy' && p.source === c.source && p.from >= c.from && p.to <= c.to);
      return !copy || copy.kind !== 'copy' || copy.from - c.from >= previousFrames || c.to - copy.to >= previousFrames;
    });
    if (unsure.length === 0) break;
    await scanAll((source) =>
      unsure
        .filter((c) => c.source === source.src)
        .flatMap((c) =>
          windowS === undefined ? [{ fromS: timeOf(source, c.from), toS: timeOf(source, c.to) + SCAN_MARGIN_S }] : windowsOf(c, source, windowS),
        ),
    );
  }
  timings.gopScanMs = performance.now() - scanStartedMs;
  for (const [src, map] of gops) {
    if (map.offGrid.length > 0)
      return {
        fallback: `source "${src}" has a variable frame rate (frame ${map.offGrid[0]} is off the ${params.frameRate.num}/${params.frameRate.den} grid)`,
      };
    const count = map.frameCount ?? sources.get(src)!.params.frameCount;
    const past = clips.find((c) => c.source === src && count !== undefined && c.to > count);
    if (past) return { fallback: `a clip runs past the last frame of source "${src}"` };
    if (count !== undefined) map.frameCount = count;
  }
  const encoder = pieceEncoder(params, typicalGop(gops.values(), params), threadsPerStep());
  if ('unsupported' in encoder) return { fallback: encoder.unsupported };
  return { sources, clips, encoder, gops, params, timings };
}

/**
 * Starts the sound now, when the plan will run: it needs only the sources' probes, so it runs
 * while the GOPs are scanned (on a core the scan leaves idle) instead of after.
 */
async function startSound(ctx: PlanContext, sound: SmartSound): Promise<StartedStep> {
  try {
    await fs.writeFile(sound.scriptPath, sound.scriptContents);
  } catch (error) {
    throw new RenderError('output_failed', `the sound filtergraph could not be written to ${sound.scriptPath}: ${(error as Error).message}`, { cause: error });
  }
  return new StartedStep(sound.step, {
    signal: ctx.signal,
    log: ctx.log,
    ffmpegPath: ctx.ffmpegPath,
    inputs: [...ctx.sources.values()].map((s) => s.input),
    groupIndex: ctx.group.index,
  });
}

async function planSmartCut(ctx: PlanContext): Promise<GroupPlan> {
  const sound = smartSound(ctx);
  const started = sound && ctx.mayStartSteps ? await startSound(ctx, sound) : undefined;
  // A plan that ends up not smart-cutting leaves nothing of the sound behind.
  const abandonSound = async () => {
    if (!started || !sound) return;
    await started.cancel();
    await Promise.all([sound.path, sound.scriptPath].map((file) => fs.rm(file, { force: true }).catch(() => {})));
  };
  let prepared: Preparation;
  try {
    prepared = await prepare(ctx);
  } catch (error) {
    await abandonSound();
    if (error instanceof RenderError) throw error;
    if (ctx.signal?.aborted || error instanceof FfmpegAbortedError) throw new RenderError('aborted', 'the render was aborted');
    if (error instanceof FfmpegUnavailableError) throw new RenderError('ffmpeg_unavailable', error.message, { cause: error });
    throw new RenderError('source_unreadable', `the sources could not be read for smart cutting: ${(error as Error).message}`, { cause: error });
  }
  if ('fallback' in prepared) {
    await abandonSound();
    return fallback(ctx, prepared.fallback);
  }
  const { sources, clips, encoder, gops, params, timings } = prepared;
  const pieces = planPieces(clips, (src) => gops.get(src)!);
  if (pieces.copiedFrames === 0) {
    await abandonSound();
    return fallback(ctx, 'no whole GOP that starts on an IDR frame lies inside the cuts');
  }
  const reorderDepth = Math.max(encoder.reorderDepth, ...[...gops.values()].map((g) => g.reorderDepth));
  const { steps, tempPaths, withSound } = smartSteps(ctx, {
    pieces: pieces.pieces,
    sources,
    encoder,
    params,
    reorderDepth,
    gops,
    decoderThreads: threadsPerStep(),
    sound: sound && { ...sound, started: started !== undefined },
  });
  const encodes = pieces.pieces.filter((p) => p.kind === 'encode').length;
  const copies = pieces.pieces.length - encodes;
  const percent = Math.floor((100 * pieces.copiedFrames) / pieces.totalFrames);
  return {
    groupIndex: ctx.group.index,
    strategy: 'smart-cut',
    reason: `smart: ${percent}% of frames copied (${copies} run(s) of whole GOPs copied, ${encodes} stretch(es) re-encoded with ${encoder.name}${withSound ? ', sound re-encoded' : ''})`,
    settings: {
      ...ctx.settings,
      videoCodec: params.codec === 'hevc' ? 'hevc' : 'h264',
      width: params.width,
      height: params.height,
      frameRate: params.frameRate,
    },
    outputPath: ctx.outputPath,
    partialPath: ctx.partialPath,
    tempPaths,
    steps,
    planTimings: timings,
    ...(started && sound ? { started: new Map([[sound.step, started]]) } : {}),
  };
}
