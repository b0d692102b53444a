import path from 'node:path';
import { audioEncoderArgs, muxerArgs, reservedIndexMuxerArgs } from '../encoder-args.js';
import { GraphBuilder } from '../full-render.js';
import type { FfmpegStep, PlanContext, PlanStep } from '../plan.js';
import { INPUT_PROTOCOLS } from '../sources.js';
import { HNS, sampleAt, secondsArg } from '../timing.js';
import type { CodecParameters } from './codec-parameters.js';
import { MAX_RANGES_PER_ENCODE, type FrameRange, type Piece } from './cut-pieces.js';
import type { GopMap } from './gop-scan.js';
import type { PieceEncoder } from './piece-encoder.js';

/**
 * The ffmpeg runs of a smart cut. Every piece becomes an MPEG-TS file of Annex B video, where
 * parameter sets travel in the stream, so that copied GOPs carry the source's SPS/PPS (VPS) and
 * re-encoded ones their encoder's, each valid from the IDR picture that starts it. The pieces
 * (and the sound, rendered alongside them) are then read in order by ffmpeg's concat demuxer and
 * written to MP4/MOV by copying:
 *
 * - copied pieces start on an IDR picture (seeking to it, not decoding); in HEVC they drop the
 *   pictures that display before it (RADL), so no frame appears twice at a join;
 * - every timestamp is put back on one frame grid: presentation times are snapped to whole
 *   frames, and decoding times are the packet's position in the stream less the deepest
 *   reordering of any piece, so they rise by exactly one frame per packet across every join
 *   whatever the time bases and B-frame depths of the pieces were;
 * - the access unit delimiters MPEG-TS adds are removed again.
 */

export interface SmartSource {
  src: string;
  input: string;
  streamIndex: number;
  params: CodecParameters;
  /** File time of frame 0 (seconds from the start of the file, as `-ss` counts). */
  offsetS: number;
  /** H.264 in a local file with NAL units prefixed by lengths of this size: GOPs are scanned in place. */
  nalLengthSize?: number;
}

export interface SmartStepsInput {
  pieces: Piece[];
  sources: Map<string, SmartSource>;
  encoder: PieceEncoder;
  params: CodecParameters;
  /** Frames the decoding times run ahead of the presentation times. */
  reorderDepth: number;
  /** Each source's GOPs around the cuts, as the plan was made from them. */
  gops: Map<string, GopMap>;
  /** Threads for each decoder of a re-encoded stretch (0: ffmpeg's choice). */
  decoderThreads: number;
  /** The sound (smartSound), joined with the picture; `started`: its script is written and its step runs already. */
  sound?: SmartSound & { started: boolean };
}

/** A run of whole GOPs copied from one source (from an IDR picture), and the file it is written to. */
interface CopyPiece {
  source: SmartSource;
  from: number;
  frames: number;
  file: string;
}

/** A re-encoded stretch: its source ranges, in order, and the file it is written to. */
interface EncodePiece {
  ranges: FrameRange[];
  frames: number;
  file: string;
}

/** ffconcat quoting: single quotes, with a quote written as '\''. */
function quoteConcatPath(file: string): string {
  return `'${file.replace(/'/g, "'\\''")}'`;
}

export function smartSteps(ctx: PlanContext, input: SmartStepsInput): { steps: PlanStep[]; tempPaths: string[]; withSound: boolean } {
  const { pieces, sources, encoder, params, reorderDepth, gops, decoderThreads, sound } = input;
  const threadArgs = decoderThreads > 0 ? ['-threads', String(decoderThreads)] : [];
  const { group, settings } = ctx;
  const rate = params.frameRate;
  const frameS = rate.den / rate.num;
  const fileTime = (source: SmartSource, frame: number) => source.offsetS + frame * frameS;
  const steps: PlanStep[] = [];
  const tempPaths: string[] = [];
  const entries: { file: string; frames: number }[] = [];

  const encodes: EncodePiece[] = [];
  const copies: CopyPiece[] = [];
  for (const [i, piece] of pieces.entries()) {
    const file = path.join(ctx.workDir, `.smart-${group.index}-${i}.ts`);
    tempPaths.push(file);
    if (piece.kind === 'copy') {
      const frames = piece.to - piece.from;
      entries.push({ file, frames });
      copies.push({ source: sources.get(piece.source)!, from: piece.from, frames, file });
      continue;
    }
    const frames = piece.ranges.reduce((n, r) => n + r.to - r.from, 0);
    entries.push({ file, frames });
    encodes.push({ ranges: piece.ranges, frames, file });
  }
  // Copies go a few to one ffmpeg too: each process start costs more CPU than copying a run.
  for (let c = 0; c < copies.length; c += MAX_RANGES_PER_ENCODE) steps.push(copyStep(copies.slice(c, c + MAX_RANGES_PER_ENCODE)));

  function copyStep(run: CopyPiece[]): FfmpegStep {
    const inputArgs: string[] = [];
    const outputArgs: string[] = [];
    for (const [k, { source, from, frames, file }] of run.entries()) {
      // A quarter frame past the IDR picture: the seek lands on it, whatever the rounding.
      const seekS = fileTime(source, from) + frameS / 4;
      inputArgs.push(...(seekS > 0 ? ['-ss', secondsArg(seekS)] : []), '-protocol_whitelist', INPUT_PROTOCOLS, '-i', source.input);
      outputArgs.push(
        '-map',
        `${k}:${source.streamIndex}`,
        '-c',
        'copy',
        '-bsf:v',
        [...encoder.dropLeading, encoder.annexB].join(','),
        '-frames:v',
        String(frames),
        '-map_metadata',
        '-1',
        '-f',
        'mpegts',
        '-y',
        file,
      );
    }
    const framesOf = run.map((c) => c.frames);
    return {
      kind: 'ffmpeg',
      description: `copy ${run.map((c) => `frames ${c.from}-${c.from + c.frames - 1} of "${c.source.src}"`).join(', ')}`,
      args: [...inputArgs, ...outputArgs],
      // Progress is the furthest output's time.
      expectedDurationS: Math.max(...framesOf) * frameS,
      weight: framesOf.reduce((n, f) => n + f, 0) * frameS * 0.02,
      concurrent: true,
      part: 'copy',
    };
  }
  // Stretches go a few to one ffmpeg (an encoder and an output each): a process start saved per
  // stretch, while each run holds at most MAX_RANGES_PER_ENCODE decoders open at once.
  let run: EncodePiece[] = [];
  for (const piece of encodes) {
    if (run.length > 0 && run.reduce((n, p) => n + p.ranges.length, 0) + piece.ranges.length > MAX_RANGES_PER_ENCODE) {
      steps.push(encodeStep(run));
      run = [];
    }
    run.push(piece);
  }
  if (run.length > 0) steps.push(encodeStep(run));

  /** An IDR picture at the range's first frame, decoded before every picture shown after it. */
  function startsOnIdr(range: FrameRange): boolean {
    const keyframe = gops.get(range.source)?.keyframes.find((k) => k.frame === range.from);
    return keyframe !== undefined && keyframe.idr && keyframe.runStartFrame === range.from;
  }

  function encodeStep(run: EncodePiece[]): FfmpegStep {
    const inputArgs: string[] = [];
    const chains: string[] = [];
    const outputArgs: string[] = [];
    for (const [p, { ranges, frames, file }] of run.entries()) {
      for (const [r, range] of ranges.entries()) {
        const source = sources.get(range.source)!;
        const count = range.to - range.from;
        const input = inputArgs.filter((a) => a === '-i').length;
        if (range.from > 0 && startsOnIdr(range)) {
          // The range starts on an IDR picture that nothing before it in display order follows
          // (the tail of a clip, after its copied GOPs): decoding starts on it, and no frame is
          // dropped. A quarter frame past it: the seek lands on it, whatever the rounding.
          inputArgs.push(
            '-noaccurate_seek',
            '-ss',
            secondsArg(fileTime(source, range.from) + frameS / 4),
            '-t',
            secondsArg((count + 2) * frameS),
            ...threadArgs,
            '-protocol_whitelist',
            INPUT_PROTOCOLS,
            '-i',
            source.input,
          );
          chains.push(`[${input}:${source.streamIndex}]trim=end_frame=${count},setpts=PTS-STARTPTS[p${p}r${r}]`);
          continue;
        }
        // Half a frame before the first wanted frame: decoding starts at the keyframe before it
        // and the frames before the seek point are dropped, so the first one kept is `from`.
        const seekS = fileTime(source, range.from) - frameS / 2;
        const seek = range.from > 0 && seekS > 0;
        if (seek) inputArgs.push('-ss', secondsArg(seekS));
        inputArgs.push(
          '-t',
          secondsArg((seek ? frameS / 2 : fileTime(source, range.from)) + (count + 2) * frameS),
          ...threadArgs,
          '-protocol_whitelist',
          INPUT_PROTOCOLS,
          '-i',
          source.input,
        );
        const trim = seek ? `trim=end_frame=${count}` : `trim=start_frame=${range.from}:end_frame=${range.to}`;
        chains.push(`[${input}:${source.streamIndex}]${trim},setpts=PTS-STARTPTS[p${p}r${r}]`);
      }
      const sar = `${params.sampleAspect.num}/${params.sampleAspect.den}`;
      const joined = ranges.length > 1 ? `${ranges.map((_, r) => `[p${p}r${r}]`).join('')}concat=n=${ranges.length}:v=1:a=0,` : `[p${p}r0]`;
      // One tick per frame from 0: the piece's frames, and nothing else, in order.
      chains.push(`${joined}settb=expr=${rate.den}/${rate.num},setpts=N,setsar=${sar},format=${params.pixelFormat}[v${p}]`);
      outputArgs.push('-map', `[v${p}]`, ...encoder.args, '-frames:v', String(frames), '-map_metadata', '-1', '-f', 'mpegts', '-y', file);
    }
    const from = run.flatMap((piece) => piece.ranges.map((r) => `${r.source}:${r.from}-${r.to - 1}`)).join(', ');
    const framesOf = run.map((piece) => piece.frames);
    return {
      kind: 'ffmpeg',
      description: `re-encode frames ${from} with ${encoder.name}`,
      args: [...inputArgs, '-filter_complex', chains.join(';'), ...outputArgs],
      // Progress is the furthest output's time.
      expectedDurationS: Math.max(...framesOf) * frameS,
      weight: framesOf.reduce((n, f) => n + f, 0) * frameS,
      concurrent: true,
      part: 'encode',
    };
  }

  const listPath = path.join(ctx.workDir, `.smart-${group.index}.ffconcat`);
  tempPaths.push(listPath);
  const writes: PlanStep[] = [
    {
      kind: 'write-file',
      description: 'concat list',
      path: listPath,
      contents:
        ['ffconcat version 1.0', ...entries.flatMap((e) => [`file ${quoteConcatPath(e.file)}`, `duration ${secondsArg(e.frames * frameS)}`])].join('\n') + '\n',
    },
  ];
  const totalFrames = entries.reduce((n, e) => n + e.frames, 0);
  const totalS = totalFrames * frameS;

  if (sound) {
    if (!sound.started) writes.push({ kind: 'write-file', description: 'sound filtergraph', path: sound.scriptPath, contents: sound.scriptContents });
    tempPaths.push(sound.scriptPath, sound.path);
    steps.push(sound.step);
  }
  const tick = `(${rate.den}/(${rate.num}*TB))`;
  steps.unshift(...writes);
  const joinArgs = (muxer: string[]) => [
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    listPath,
    ...(sound ? ['-i', sound.path] : []),
    '-map',
    '0:v:0',
    ...(sound ? ['-map', '1:a:0'] : []),
    '-c',
    'copy',
    '-bsf:v',
    `filter_units=remove_types=${encoder.audType},setts=pts=STARTPTS+round((PTS-STARTPTS)/${tick})*${tick}:dts=STARTPTS+(N-${reorderDepth})*${tick}`,
    ...(params.codec === 'hevc' ? ['-tag:v', 'hvc1'] : []),
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    ...muxer,
    '-y',
    ctx.partialPath,
  ];
  // The index goes in room kept for it at the front: the joined bytes are written once.
  const reserved = reservedIndexMuxerArgs(settings, totalFrames, totalS);
  steps.push({
    kind: 'ffmpeg',
    description: `join ${pieces.length} piece(s)${sound ? ' and the sound' : ''}`,
    args: joinArgs(reserved ?? muxerArgs(settings)),
    ...(reserved
      ? { fallback: { reason: 'the room kept for the index was too small: joining again with faststart', args: joinArgs(muxerArgs(settings)) } }
      : {}),
    expectedDurationS: totalS,
    weight: totalS * 0.02,
    phase: 'join',
  });
  return { steps, tempPaths, withSound: sound !== undefined };
}

/** A smart cut's sound: the step that renders it, and the filtergraph script it reads. */
export interface SmartSound {
  step: FfmpegStep;
  /** Where the sound is written. */
  path: string;
  scriptPath: string;
  scriptContents: string;
}

/**
 * The sound, exactly as the full render makes it: each clip cut sample-exactly at its frame
 * boundaries, joined and encoded once, alongside the picture's pieces. It needs only the
 * sources' probes, so it can start before the GOPs are scanned. Undefined without sound.
 */
export function smartSound(ctx: PlanContext): SmartSound | undefined {
  const { group, settings } = ctx;
  const builder = new GraphBuilder(ctx);
  const track = group.tracks[0]!;
  const sound = settings.hasAudio && track.audio ? builder.trackSound(builder.placeClips(track)) : undefined;
  if (!sound) return undefined;
  const path_ = path.join(ctx.workDir, `.smart-${group.index}-sound.${settings.container}`);
  const scriptPath = path.join(ctx.workDir, `.smart-${group.index}-sound.txt`);
  const totalSamples = sampleAt(settings.durationHns, settings.sampleRate);
  const totalS = settings.durationHns / HNS;
  builder.graph.chain([sound.label], [`apad=whole_len=${totalSamples}`, `atrim=end_sample=${totalSamples}`], 'aout', 'audio');
  return {
    path: path_,
    scriptPath,
    scriptContents: builder.graph.toString(),
    step: {
      kind: 'ffmpeg',
      description: 'render the sound',
      args: [
        ...builder.inputArgs.flat(),
        '-filter_complex_script',
        scriptPath,
        '-map',
        '[aout]',
        ...audioEncoderArgs(settings),
        '-map_metadata',
        '-1',
        '-f',
        settings.container,
        '-y',
        path_,
      ],
      expectedDurationS: totalS,
      weight: totalS * 0.05,
      concurrent: true,
      part: 'sound',
    },
  };
}
