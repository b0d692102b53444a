import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXtl } from '../xtl/parse-xtl.js';
import { runningChildCount } from '../ffmpeg/spawn-tool.js';
import { makeTestVideo, tempDir } from '../test-support/lavfi-media.js';
import { frameCount, framePsnrs, streamsOf } from '../test-support/media-checks.js';
import { fileResolver, renderXtl, timelines } from '../test-support/render-helpers.js';
import { RenderError } from './render-error.js';
import { renderTimeline } from './render-timeline.js';
import { checkTimeline } from './check-timeline.js';
import { fullRender } from './full-render.js';
import { resolveSources } from './sources.js';

/** Strategy choice, failures with their codes, cancellation, and the GPU encoder fallback. */

let work: { dir: string; remove: () => Promise<void> };
let gop10: string;
let other: string;
let count = 0;
const outDir = () => path.join(work.dir, `out-${count++}`);

beforeAll(async () => {
  work = await tempDir();
  [gop10, other] = await Promise.all([
    makeTestVideo(work.dir, 'gop10', { durationS: 4, gop: 10 }),
    makeTestVideo(work.dir, 'other', { durationS: 2, width: 640, height: 360 }),
  ]);
});
afterAll(async () => work.remove());

async function failure(promise: Promise<unknown>): Promise<RenderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe('accuracy="gop"', () => {
  it('copies whole GOPs from the keyframe before each in point to the keyframe after each out point, bit for bit', async () => {
    // Keyframes every 0.4 s: [0.84, 1.24) widens to [0.8, 1.6), [3.00, 3.20) to [2.8, 3.2).
    const xml = timelines(`<group><track accuracy="gop">
<clip src="s" start="00:00:00:84" stop="00:00:01:24" timeFormat="time10ms"/>
<clip src="s" start="00:00:03:00" stop="00:00:03:20" timeFormat="time10ms"/>
</track></group>`);
    const { outputs, plans, log } = await renderXtl(xml, { s: gop10 }, { workDir: outDir() });
    expect(plans[0]!.strategy).toBe('stream-copy');
    expect(log.find((l) => l.fields.strategy)?.message).toMatch(/group 0: stream-copy \(accuracy="gop".*nothing re-encoded\)/);
    const out = outputs[0]!.path;
    expect(await frameCount(out)).toBe(30);
    const psnrs = await framePsnrs(out, [
      { file: gop10, firstFrame: 20, lastFrame: 39 },
      { file: gop10, firstFrame: 70, lastFrame: 79 },
    ]);
    // Infinity: decoded frames identical to the source's, so nothing was re-encoded.
    expect(psnrs).toEqual(new Array(30).fill(Infinity));
    const [video, audio] = await streamsOf(out);
    expect(Number(video!.duration)).toBeCloseTo(1.2, 3);
    expect(Math.abs(Number(audio!.duration) - 1.2)).toBeLessThan(0.15);
  });

  it('renders in full, and says why, when the group cannot be copied', async () => {
    const xml = timelines(`<group><track accuracy="gop">
<clip src="s" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/>
<clip src="o" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/>
</track></group>`);
    const { plans, log, outputs } = await renderXtl(xml, { s: gop10, o: other }, { workDir: outDir() });
    expect(plans[0]!.strategy).toBe('full-render');
    expect(plans[0]!.reason).toMatch(/accuracy="gop" asked, but sources differ in size: full render/);
    expect(log.some((l) => l.message.includes('full-render (accuracy="gop" asked, but sources differ in size'))).toBe(true);
    expect(await frameCount(outputs[0]!.path)).toBe(50);
  });
});

describe('failures', () => {
  it('refuses a source the resolver does not know, before rendering anything', async () => {
    const workDir = outDir();
    const xml = timelines(`<group><track><clip src="nope" start="0" stop="10000000" timeFormat="100ns_units"/></track></group>`);
    const error = await failure(renderXtl(xml, { s: gop10 }, { workDir }));
    expect(error.code).toBe('source_unreadable');
    expect(error.message).toMatch(/source "nope" could not be resolved: no media "nope"/);
    expect(error.toJSON()).toEqual({ type: 'engine_error', code: 'source_unreadable', message: error.message });
    expect(await fs.readdir(workDir)).toEqual([]);
  });

  it('refuses a clip that ends past its source, naming the clip’s line', async () => {
    const xml = timelines(`<group><track>\n<clip src="s" start="00:00:03:00" stop="00:00:09:00" timeFormat="time10ms"/>\n</track></group>`);
    const error = await failure(renderXtl(xml, { s: gop10 }, { workDir: outDir() }));
    expect(error.code).toBe('bad_timeline');
    expect(error.message).toMatch(/clip at line 4 ends at 9\.000s of source "s", which lasts 4\.0\d\ds/);
  });

  it('can tell at submission, from probes alone, what the render would refuse', async () => {
    const doc = parseXtl(timelines(`<group><track>\n<clip src="s" start="00:00:03:00" stop="00:00:09:00" timeFormat="time10ms"/>\n</track></group>`));
    const sources = await resolveSources(doc, fileResolver({ s: gop10 }));
    expect(() => checkTimeline(doc, sources)).toThrow(/clip at line 4 ends at 9\.000s/);
    const fine = parseXtl(
      timelines(`<group container="webm"><track><clip src="s" start="00:00:03:00" stop="00:00:04:00" timeFormat="time10ms"/></track></group>`),
    );
    expect(checkTimeline(fine, await resolveSources(fine, fileResolver({ s: gop10 })))).toMatchObject([
      {
        container: 'webm',
        videoCodec: 'vp9',
        audioCodec: 'opus',
        width: 320,
        height: 240,
        frameRate: { num: 25, den: 1 },
        sampleRate: 48000,
        durationHns: 10_000_000,
      },
    ]);
  });

  it('opens sources only as files or over http(s)', async () => {
    const probe = (await fileResolver({ s: gop10 })('s')).probe;
    const xml = timelines(`<group><track><clip src="s" start="0" stop="10000000" timeFormat="100ns_units"/></track></group>`);
    const error = await failure(
      renderTimeline({ timeline: parseXtl(xml), workDir: outDir(), resolveSource: async () => ({ input: `subfile:,,start,0,end,0,,:${gop10}`, probe }) }),
    );
    expect(error.code).toBe('source_unreadable');
    expect(error.message).toMatch(/subfile/);
  });

  it('says ffmpeg is unavailable when it is missing', async () => {
    const xml = timelines(`<group><track><clip src="s" start="0" stop="10000000" timeFormat="100ns_units"/></track></group>`);
    const error = await failure(renderXtl(xml, { s: gop10 }, { workDir: outDir(), ffmpegPath: '/nonexistent/ffmpeg' }));
    expect(error.code).toBe('ffmpeg_unavailable');
    expect(error.message).toMatch(/FFMPEG_PATH/);
  });

  it('stops mid-render when aborted: ffmpeg gone, no output left behind', async () => {
    const workDir = outDir();
    // 40 s of 640x360 at the slowest quality: long enough to be caught running.
    const clips = Array.from({ length: 20 }, () => `<clip src="o" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"/>`).join('\n');
    const xml = timelines(`<group quality="high"><track>${clips}</track></group>`);
    const controller = new AbortController();
    const seen: number[] = [];
    const error = await failure(
      renderXtl(
        xml,
        { o: other },
        {
          workDir,
          signal: controller.signal,
          onProgress: (p) => {
            seen.push(p);
            if (p > 0) controller.abort();
          },
        },
      ),
    );
    expect(error.code).toBe('aborted');
    expect(seen.at(-1)).toBeLessThan(1);
    expect(runningChildCount()).toBe(0);
    expect(await fs.readdir(workDir)).toEqual([]);
  });

  it('aborts before starting when the signal is already aborted', async () => {
    const workDir = outDir();
    const controller = new AbortController();
    controller.abort();
    const error = await failure(
      renderTimeline({
        timeline: parseXtl(timelines(`<group><track><clip src="s" start="0" stop="10000000" timeFormat="100ns_units"/></track></group>`)),
        resolveSource: fileResolver({ s: gop10 }),
        workDir,
        signal: controller.signal,
      }),
    );
    expect(error.code).toBe('aborted');
    expect(await fs.readdir(workDir)).toEqual([]);
  });
});

describe('GPU encoding', () => {
  it('encodes with NVENC when asked, and in software when the GPU encoder fails', async () => {
    const xml = timelines(`<group><track><clip src="s" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/></track></group>`);
    // The full render's encode is what goes to the GPU (smart cutting re-encodes a few frames with libx264).
    const { outputs, plans, log } = await renderXtl(xml, { s: gop10 }, { workDir: outDir(), gpu: true, strategies: [fullRender] });
    const step = plans[0]!.steps.find((s) => s.kind === 'ffmpeg')!;
    expect(step.kind === 'ffmpeg' && step.args).toContain('h264_nvenc');
    expect(step.kind === 'ffmpeg' && step.fallback?.args).toContain('libx264');
    const [video] = await streamsOf(outputs[0]!.path);
    expect(video!.codec_name).toBe('h264');
    expect(await frameCount(outputs[0]!.path)).toBe(25);
    // Without an NVIDIA device NVENC cannot start: the render went on in software, and said so.
    if (!existsSync('/dev/nvidia0')) expect(log.some((l) => l.level === 'warn' && /h264_nvenc failed; encoding in software/.test(l.message))).toBe(true);
  });
});
