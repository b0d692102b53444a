import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchRow, Benchmark } from './support/types.js';
import { cachedTestSource } from './support/test-source.js';
import {
  fullRender,
  parseXtl,
  probeMediaInfo,
  renderTimeline,
  runFfmpeg,
  type RenderTimings,
  type ResolvedSource,
  type RenderStrategy,
} from '../render-node/src/index.js';

/**
 * Smart cutting against the two ways it sits between: a full libx264 re-encode of the same
 * frame-accurate cut (the engine's full render), and a keyframe-only stream copy of the same
 * segments (the engine's accuracy="gop" copy, which is not frame-accurate). Figures are the
 * engine's wall time for the render, planning and probing included.
 *
 * 1. Three frame-accurate cuts from a 2-minute 720p H.264 source with a 2 s GOP.
 * 2. A 30-minute 1080p source cut into ten segments, short and then six times longer: the cost
 *    of smart cutting should follow the number of cuts (partial GOPs), not the duration.
 *
 * Sources are made once and kept under the OS temp dir (the long one by stream-copying one
 * minute thirty times, which is fast and keeps every GOP whole).
 */

const cacheDir = path.join(os.tmpdir(), 'cutroom-bench-cache');

async function cachedSource(name: string, make: (file: string) => Promise<void>): Promise<string> {
  await fs.mkdir(cacheDir, { recursive: true });
  const file = path.join(cacheDir, name);
  if (!existsSync(file)) {
    const partial = `${file}.partial.mp4`;
    await make(partial);
    await fs.rename(partial, file);
  }
  return file;
}

/** A 25 fps source with a fixed GOP of `gopS` seconds, kept in the cache. */
function encodedSource(name: string, width: number, height: number, seconds: number, gopS: number): Promise<string> {
  return cachedTestSource(path.join(cacheDir, name), {
    width,
    height,
    seconds,
    gopFrames: gopS * 25,
    fixedGop: true,
    crf: 20,
    audioBitrate: '128k',
    stereo: true,
    faststart: true,
  });
}

/** `repeat` copies of a short source back to back, by stream copy. */
async function repeatSource(file: string, unit: string, repeat: number): Promise<void> {
  const list = `${file}.txt`;
  await fs.writeFile(list, `ffconcat version 1.0\n${Array.from({ length: repeat }, () => `file '${unit}'`).join('\n')}\n`);
  try {
    await runFfmpeg({ args: ['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', '-y', file] });
  } finally {
    await fs.rm(list, { force: true });
  }
}

/** 100 ns units of a time in seconds, as an XTL clip writes it. */
const hns = (seconds: number) => String(Math.round(seconds * 1e7));

function timelineOf(cuts: [number, number][], accuracy: 'frame' | 'gop'): string {
  const clips = cuts.map(([from, to]) => `<clip src="s" start="${hns(from)}" stop="${hns(to)}" timeFormat="100ns_units"/>`).join('\n');
  return `<timelines version="2"><timeline><group><track accuracy="${accuracy}">\n${clips}\n</track></group></timeline></timelines>`;
}

const bench: Benchmark = async ({ size, log }) => {
  const smoke = size === 'smoke';
  const workRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-bench-smart-'));
  const rows: BenchRow[] = [];
  try {
    const render = async (input: string, cuts: [number, number][], accuracy: 'frame' | 'gop', strategies?: readonly RenderStrategy[]) => {
      const source: ResolvedSource = { input, probe: await probeMediaInfo(input) };
      const workDir = await fs.mkdtemp(path.join(workRoot, 'r-'));
      const started = performance.now();
      const result = await renderTimeline({
        timeline: parseXtl(timelineOf(cuts, accuracy)),
        workDir,
        resolveSource: async () => source,
        ...(strategies ? { strategies } : {}),
      });
      const seconds = (performance.now() - started) / 1000;
      await fs.rm(workDir, { recursive: true, force: true });
      return { seconds, plan: result.plans[0]!, timings: result.timings };
    };

    // ---- 1. three cuts from two minutes of 720p -------------------------------------------
    const [w, h, minutes] = smoke ? [320, 180, 0.25] : [1280, 720, 2];
    log(`making a ${minutes * 60} s ${w}x${h} source (cached)`);
    const medium = await encodedSource(`smart-${w}x${h}-${minutes * 60}s-gop2.mp4`, w, h, minutes * 60, 2);
    // In and out points off the keyframes (every 2 s), as an editor would put them.
    const cuts: [number, number][] = smoke
      ? [
          [1.24, 4.6],
          [6.08, 9.96],
          [11.4, 14.52],
        ]
      : [
          [10.36, 40.6],
          [55.12, 80.88],
          [95.48, 110.2],
        ];
    const outS = cuts.reduce((s, [a, b]) => s + b - a, 0);
    log(`three cuts, ${outS.toFixed(1)} s of output`);
    const smart = await render(medium, cuts, 'frame');
    if (smart.plan.strategy !== 'smart-cut') throw new Error(`expected a smart cut, got ${smart.plan.strategy}: ${smart.plan.reason}`);
    const smartAgain = await render(medium, cuts, 'frame');
    const full = await render(medium, cuts, 'frame', [fullRender]);
    const copy = await render(medium, cuts, 'gop');
    const copyAgain = await render(medium, cuts, 'gop');
    const task = Math.min(smart.seconds, smartAgain.seconds);
    const best = smart.seconds <= smartAgain.seconds ? smart : smartAgain;
    const copied = Math.min(copy.seconds, copyAgain.seconds);
    rows.push(
      { benchmark: 'smart-cut', metric: `3 cuts ${h}p: smart cut`, value: task, unit: 's', note: `${outS.toFixed(0)} s out; ${smart.plan.reason}` },
      { benchmark: 'smart-cut', metric: `3 cuts ${h}p: full re-encode`, value: full.seconds, unit: 's', note: 'engine full render, libx264 fast crf 22' },
      {
        benchmark: 'smart-cut',
        metric: `3 cuts ${h}p: keyframe stream copy`,
        value: copied,
        unit: 's',
        note: 'accuracy="gop": whole GOPs, not frame-accurate',
      },
      ...phaseRows(`3 cuts ${h}p`, best.timings),
      { benchmark: 'smart-cut', metric: 'task/re-encode', value: task / full.seconds, unit: 'ratio', note: 'target <= 0.12' },
      { benchmark: 'smart-cut', metric: 'task/copy', value: task / copied, unit: 'ratio', note: 'as close to 1 as possible' },
    );

    // ---- 2. ten cuts from thirty minutes of 1080p ----------------------------------------
    const [W, H, unitS, repeat] = smoke ? [320, 180, 10, 6] : [1920, 1080, 60, 30];
    const longS = unitS * repeat;
    log(`making a ${longS / 60} min ${W}x${H} source (cached)`);
    const unit = await encodedSource(`smart-${W}x${H}-${unitS}s-gop2.mp4`, W, H, unitS, 2);
    const long = await cachedSource(`smart-${W}x${H}-${longS}s-gop2.mp4`, (file) => repeatSource(file, unit, repeat));
    // Ten segments spread over the source, each starting and ending off a keyframe.
    const segments = (lengthS: number): [number, number][] =>
      Array.from({ length: 10 }, (_, i) => {
        const from = 1.32 + (i * (longS - lengthS - 4)) / 10;
        return [from, from + lengthS];
      });
    const [shortS, longerS] = smoke ? [4.52, 9.04] : [10.52, 63.12];
    const short = await render(long, segments(shortS), 'frame');
    const longer = await render(long, segments(longerS), 'frame');
    const fullShort = await render(long, segments(shortS), 'frame', [fullRender]);
    rows.push(
      {
        benchmark: 'smart-cut',
        metric: `10 cuts ${H}p, ${(10 * shortS).toFixed(0)} s out: smart cut`,
        value: short.seconds,
        unit: 's',
        note: `${longS / 60} min source; ${short.plan.reason}`,
      },
      {
        benchmark: 'smart-cut',
        metric: `10 cuts ${H}p, ${(10 * longerS).toFixed(0)} s out: smart cut`,
        value: longer.seconds,
        unit: 's',
        note: `${(longerS / shortS).toFixed(1)}x the duration, same number of cuts`,
      },
      {
        benchmark: 'smart-cut',
        metric: 'longer/shorter output',
        value: longer.seconds / short.seconds,
        unit: 'ratio',
        note: `duration ratio ${(longerS / shortS).toFixed(1)}; cost follows the cuts`,
      },
      {
        benchmark: 'smart-cut',
        metric: `10 cuts ${H}p, ${(10 * shortS).toFixed(0)} s out: full re-encode`,
        value: fullShort.seconds,
        unit: 's',
        note: 'engine full render of the shorter cut',
      },
      ...phaseRows(`10 cuts ${H}p`, short.timings),
      { benchmark: 'smart-cut', metric: `10 cuts ${H}p: smart/re-encode`, value: short.seconds / fullShort.seconds, unit: 'ratio', note: 'target <= 0.15' },
    );
    return rows;
  } finally {
    await fs.rm(workRoot, { recursive: true, force: true });
  }
};
export default bench;

/** The engine's own phases: planning (codec probe, GOP scan), encodes (partial GOPs, copies, sound), join. */
function phaseRows(what: string, t: RenderTimings): BenchRow[] {
  const row = (metric: string, ms: number, note = ''): BenchRow => ({
    benchmark: 'smart-cut',
    metric: `${what}: ${metric}`,
    value: ms / 1000,
    unit: 's',
    note,
  });
  return [
    row('GOP scan', t.gopScanMs, `codec probe ${Math.round(t.probeMs)} ms, planning in all ${Math.round(t.planMs)} ms`),
    row('encodes', t.encodeMs, 'partial GOPs in parallel, whole-GOP copies, sound'),
    row('encodes: re-encoded stretches', t.partMs.encode, 'wall time of the steps, summed (they run side by side)'),
    row('encodes: whole-GOP copies', t.partMs.copy, 'steps summed'),
    row('encodes: sound', t.partMs.sound, 'one step, alongside the picture'),
    row('join', t.joinMs, 'concat demuxer, stream copy, index reserved up front'),
  ];
}
