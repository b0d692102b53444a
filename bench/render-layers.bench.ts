import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Benchmark } from './support/types.js';
import { makeTestSource } from './support/test-source.js';
import { parseXtl, probeMediaInfo, renderTimeline, runFfmpeg, type ResolvedSource } from '../render-node/src/index.js';

/**
 * A multi-layer render through the engine (two clips joined by a crossfade, a picture-in-picture
 * layer over them, music mixed under) against one hand-written ffmpeg command that makes the
 * same picture and sound with the same encoder settings. The ratio is what the engine's
 * general graph (conforming, exact lengths, planning) costs over the minimum.
 */
const bench: Benchmark = async ({ size, log }) => {
  const smoke = size === 'smoke';
  const [width, height] = smoke ? [320, 240] : [1280, 720];
  const clipS = smoke ? 2 : 10;
  const fadeS = 1;
  const totalS = 2 * clipS - fadeS;
  const pipS = totalS - 2;
  const rounds = smoke ? 1 : 3;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-bench-render-'));
  try {
    const make = async (name: string, picture: 'testsrc2' | 'smptebars' | 'testsrc' | 'rgbtestsrc', tone: number, seconds: number) => {
      const file = path.join(dir, `${name}.mp4`);
      await makeTestSource(file, { width, height, seconds, picture, toneHz: tone, gopFrames: 50, stereo: true });
      return file;
    };
    log(`making ${width}x${height} sources`);
    const files = {
      a: await make('a', 'testsrc2', 440, clipS),
      b: await make('b', 'smptebars', 550, clipS),
      pip: await make('pip', 'testsrc', 660, pipS),
      music: await make('music', 'rgbtestsrc', 880, totalS),
    };
    const sources = new Map<string, ResolvedSource>();
    for (const [src, input] of Object.entries(files)) sources.set(src, { input, probe: await probeMediaInfo(input) });

    const t = (s: number) => `00:00:${String(Math.floor(s)).padStart(2, '0')}:00`;
    const xml = `<timelines version="2"><timeline><group>
<track><clip src="a" start="${t(0)}" stop="${t(clipS)}" timeFormat="time10ms"/><transition type="crossfade" duration="${t(fadeS)}"/><clip src="b" start="${t(0)}" stop="${t(clipS)}" timeFormat="time10ms"/></track>
<track audio="0"><clip src="pip" start="${t(1)}" stop="${t(1 + pipS)}" mstart="${t(0)}" timeFormat="time10ms"><param name="width" value="25%"/><param name="x" value="20"/><param name="y" value="20"/></clip></track>
<track video="0"><clip src="music" start="${t(0)}" stop="${t(totalS)}" timeFormat="time10ms"><param name="volume" value="0.3"/></clip></track>
</group></timeline></timelines>`;
    const timeline = parseXtl(xml);

    const pipWidth = Math.round(width / 4 / 2) * 2;
    const graph = [
      `[0:v]trim=end=${clipS},setpts=PTS-STARTPTS[va]`,
      `[1:v]trim=end=${clipS},setpts=PTS-STARTPTS[vb]`,
      `[va][vb]xfade=transition=fade:duration=${fadeS}:offset=${clipS - fadeS}[base]`,
      `[2:v]scale=${pipWidth}:-2,setpts=PTS-STARTPTS+1/TB[pip]`,
      `[base][pip]overlay=x=20:y=20:eof_action=pass,format=yuv420p[v]`,
      `[0:a]atrim=end=${clipS},asetpts=PTS-STARTPTS[aa]`,
      `[1:a]atrim=end=${clipS},asetpts=PTS-STARTPTS[ab]`,
      `[aa][ab]acrossfade=d=${fadeS}[sa]`,
      `[3:a]volume=0.3[m]`,
      `[sa][m]amix=inputs=2:duration=longest:normalize=0[a]`,
    ].join(';');
    const encode = [
      '-c:v',
      'libx264',
      '-preset',
      'fast',
      '-crf',
      '22',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '160k',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
    ];
    const handWritten = async () => {
      await runFfmpeg({
        args: [
          ...[files.a, files.b, files.pip, files.music].flatMap((f) => ['-i', f]),
          '-filter_complex',
          graph,
          '-map',
          '[v]',
          '-map',
          '[a]',
          ...encode,
          '-y',
          path.join(dir, 'hand.mp4'),
        ],
      });
    };
    const engine = async () => {
      const workDir = path.join(dir, 'engine');
      await fs.rm(workDir, { recursive: true, force: true });
      await renderTimeline({ timeline, workDir, resolveSource: async (src) => sources.get(src)! });
    };

    const time = async (run: () => Promise<void>) => {
      const started = performance.now();
      await run();
      return (performance.now() - started) / 1000;
    };
    const engineTimes: number[] = [];
    const handTimes: number[] = [];
    log(`${totalS} s at ${width}x${height}, ${rounds} round(s), alternating`);
    for (let i = 0; i < rounds; i++) {
      engineTimes.push(await time(engine));
      handTimes.push(await time(handWritten));
    }
    const best = (xs: number[]) => Math.min(...xs);
    return [
      {
        benchmark: 'render-layers',
        metric: 'engine render',
        value: best(engineTimes),
        unit: 's',
        note: `${totalS} s of ${width}x${height}, best of ${rounds}`,
      },
      { benchmark: 'render-layers', metric: 'hand-written ffmpeg', value: best(handTimes), unit: 's', note: 'same layers, same encoder settings' },
      { benchmark: 'render-layers', metric: 'engine/hand-written', value: best(engineTimes) / best(handTimes), unit: 'ratio', note: 'target <= 1.1' },
    ];
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
};
export default bench;
