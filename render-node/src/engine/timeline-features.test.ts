import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestAudio, makeTestImage, makeTestVideo, tempDir } from '../test-support/lavfi-media.js';
import { decodeAudio, frameCount, framePsnrs, pixelAt, rms, streamsOf, toneLevel } from '../test-support/media-checks.js';
import { renderXtl, timelines } from '../test-support/render-helpers.js';

/**
 * Each XTL feature rendered and looked at: pixels where layers meet, tone levels where tracks
 * mix, frames of a speed change. Colour sources make the expected pixels obvious; each has its
 * own tone (red 440 Hz, blue 660 Hz, music 1000 Hz) so the mix can be taken apart.
 */

let work: { dir: string; remove: () => Promise<void> };
const files: Record<string, string> = {};
let count = 0;
const outDir = () => path.join(work.dir, `out-${count++}`);

beforeAll(async () => {
  work = await tempDir();
  const [red, blue, blueImage, music, numbered, wide] = await Promise.all([
    makeTestVideo(work.dir, 'red', { picture: 'color=c=red:', label: false, durationS: 4, toneHz: 440 }),
    makeTestVideo(work.dir, 'blue', { picture: 'color=c=blue:', label: false, durationS: 4, toneHz: 660 }),
    makeTestImage(work.dir, 'blue-image', { width: 80, height: 60, color: 'blue' }),
    makeTestAudio(work.dir, 'music', { durationS: 4, toneHz: 1000, sampleRate: 44100 }),
    makeTestVideo(work.dir, 'numbered', { durationS: 4, gop: 10 }),
    makeTestVideo(work.dir, 'wide', { durationS: 2, width: 640, height: 360, fps: '30000/1001', sampleRate: 44100, toneHz: 880 }),
  ]);
  Object.assign(files, { red, blue, blueImage, music, numbered, wide });
});
afterAll(async () => work.remove());

const close = (actual: number[], expected: number[], tolerance = 24) => actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);

describe('layers', () => {
  it('lays an upper track over the lower one at its position, size and opacity, only while its clip plays', async () => {
    const xml = timelines(`<group>
<track><clip src="red" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"/></track>
<track video="1" audio="0"><clip src="blueImage" start="00:00:01:00" stop="00:00:02:00" mstart="00:00:00:00" timeFormat="time10ms">
  <param name="x" value="100"/><param name="y" value="50%"/><param name="width" value="80"/><param name="opacity" value="0.5"/>
</clip></track>
</group>`);
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const out = outputs[0]!.path;
    expect(await frameCount(out)).toBe(50);
    // Before the overlay's clip starts: red everywhere.
    expect(close(await pixelAt(out, 10, 140, 150), [255, 0, 0])).toBe(true);
    // Inside the 80x60 box at (100, 120): half red, half blue.
    expect(close(await pixelAt(out, 35, 140, 150), [128, 0, 128], 30)).toBe(true);
    // Just outside it: red.
    expect(close(await pixelAt(out, 35, 190, 150), [255, 0, 0])).toBe(true);
    expect(close(await pixelAt(out, 35, 140, 110), [255, 0, 0])).toBe(true);
  });

  it('conforms sources of different size, frame rate and sample rate in one track to the first', async () => {
    const xml = timelines(`<group><track>
<clip src="numbered" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/>
<clip src="wide" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/>
</track></group>`);
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const out = outputs[0]!.path;
    const streams = await streamsOf(out);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 320, height: 240, r_frame_rate: '25/1' });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ sample_rate: '48000' });
    expect(await frameCount(out)).toBe(50);
    // The 16:9 source is letterboxed into 4:3, its frames taken at 25 fps.
    const psnrs = await framePsnrs(out, [
      { file: files.numbered!, firstFrame: 0, lastFrame: 24 },
      { file: files.wide!, firstFrame: 0, lastFrame: 29, conform: 'setpts=PTS-STARTPTS,fps=25,scale=320:180,setsar=1,pad=320:240:0:30' },
    ]);
    expect(psnrs).toHaveLength(50);
    expect(Math.min(...psnrs)).toBeGreaterThan(30);
    expect(await pixelAt(out, 40, 160, 10)).toEqual([0, 0, 0]);
    // The second clip's tone arrives resampled to 48 kHz, in tune.
    const sound = await decodeAudio(out);
    expect(toneLevel(sound, 48000, 880, 1.2, 1.8)).toBeGreaterThan(0.08);
  });

  it('shows an image for its clip’s duration, scaled to fit', async () => {
    const xml = timelines(
      `<group width="320" height="240" framerate="25"><track><clip src="blueImage" start="00:00:00:00" stop="00:00:01:50" timeFormat="time10ms"/></track></group>`,
    );
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    expect(await frameCount(outputs[0]!.path)).toBe(38);
    expect(close(await pixelAt(outputs[0]!.path, 30, 300, 220), [0, 0, 255])).toBe(true);
    expect((await streamsOf(outputs[0]!.path)).map((s) => s.codec_type)).toEqual(['video']);
  });
});

describe('sound', () => {
  it('mixes every track’s sound at its volume; a video="0" track gives sound only', async () => {
    const xml = timelines(`<group>
<track><clip src="red" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"/></track>
<track video="0"><clip src="blue" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"><param name="volume" value="0.5"/></clip></track>
<track video="0"><clip src="music" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"><param name="volume" value="-12dB"/></clip></track>
</group>`);
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const out = outputs[0]!.path;
    expect(close(await pixelAt(out, 25, 160, 120), [255, 0, 0])).toBe(true);
    const sound = await decodeAudio(out);
    const red = toneLevel(sound, 48000, 440, 0.5, 1.5);
    const blue = toneLevel(sound, 48000, 660, 0.5, 1.5);
    const music = toneLevel(sound, 48000, 1000, 0.5, 1.5);
    expect(red).toBeGreaterThan(0.06);
    expect(blue / red).toBeGreaterThan(0.45);
    expect(blue / red).toBeLessThan(0.55);
    expect(music / red).toBeGreaterThan(0.22);
    expect(music / red).toBeLessThan(0.28);
  });

  it('fades picture and sound in and out', async () => {
    const xml = timelines(`<group><track><clip src="red" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms">
<param name="fadein" value="00:00:00:50"/><param name="audiofadeout" value="00:00:01:00"/>
</clip></track></group>`);
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const out = outputs[0]!.path;
    expect(close(await pixelAt(out, 0, 160, 120), [0, 0, 0], 16)).toBe(true);
    expect(close(await pixelAt(out, 6, 160, 120), [128, 0, 0], 40)).toBe(true);
    expect(close(await pixelAt(out, 49, 160, 120), [255, 0, 0])).toBe(true);
    const sound = await decodeAudio(out);
    expect(rms(sound, 48000, 0, 0.05)).toBeLessThan(0.2 * rms(sound, 48000, 0.6, 0.9));
    expect(rms(sound, 48000, 1.5, 1.6)).toBeLessThan(0.6 * rms(sound, 48000, 0.6, 0.9));
    expect(rms(sound, 48000, 1.95, 2)).toBeLessThan(0.1 * rms(sound, 48000, 0.6, 0.9));
  });
});

describe('transitions', () => {
  it('crossfades picture and sound over the overlap', async () => {
    const xml = timelines(`<group><track>
<clip src="red" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"/>
<transition type="crossfade" duration="00:00:01:00"/>
<clip src="blue" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"/>
</track></group>`);
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const out = outputs[0]!.path;
    expect(await frameCount(out)).toBe(75);
    expect(close(await pixelAt(out, 20, 160, 120), [255, 0, 0])).toBe(true);
    expect(close(await pixelAt(out, 37, 160, 120), [128, 0, 128], 30)).toBe(true);
    expect(close(await pixelAt(out, 60, 160, 120), [0, 0, 255])).toBe(true);
    const sound = await decodeAudio(out);
    const mid = [toneLevel(sound, 48000, 440, 1.4, 1.6), toneLevel(sound, 48000, 660, 1.4, 1.6)];
    expect(mid[0]).toBeGreaterThan(0.04);
    expect(mid[1]).toBeGreaterThan(0.04);
    expect(toneLevel(sound, 48000, 660, 0.2, 0.8)).toBeLessThan(0.01);
    expect(toneLevel(sound, 48000, 440, 2.2, 2.8)).toBeLessThan(0.01);
  });

  it('fades through black, the sound dipping with it', async () => {
    const xml = timelines(`<group><track>
<clip src="red" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"/>
<transition type="fadeblack" duration="00:00:01:00"/>
<clip src="blue" start="00:00:00:00" stop="00:00:02:00" timeFormat="time10ms"/>
</track></group>`);
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const out = outputs[0]!.path;
    expect(close(await pixelAt(out, 37, 160, 120), [0, 0, 0], 16)).toBe(true);
    const sound = await decodeAudio(out);
    expect(rms(sound, 48000, 1.47, 1.53)).toBeLessThan(0.1 * rms(sound, 48000, 0.2, 0.8));
    expect(rms(sound, 48000, 2.2, 2.8)).toBeGreaterThan(0.06);
  });
});

describe('timing extensions', () => {
  it('plays a clip placed with mstart/mstop at the speed its lengths give, picture and sound', async () => {
    // Two seconds of source in one second of timeline: every other frame.
    const xml = timelines(
      `<group><track><clip src="numbered" start="00:00:00:00" stop="00:00:01:00" mstart="00:00:01:00" mstop="00:00:03:00" timeFormat="time10ms"/></track></group>`,
    );
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const out = outputs[0]!.path;
    expect(await frameCount(out)).toBe(25);
    const psnrs = await framePsnrs(out, [{ file: files.numbered!, firstFrame: 25, lastFrame: 73, step: 2 }]);
    expect(psnrs).toHaveLength(25);
    expect(Math.min(...psnrs)).toBeGreaterThan(32);
    const sound = await decodeAudio(out);
    // One second, give or take the last AAC frame's padding.
    expect(Math.abs(sound.length - 48000)).toBeLessThanOrEqual(1024);
    // The 440 Hz tone at double speed, its pitch kept (atempo).
    expect(toneLevel(sound, 48000, 440, 0.2, 0.8)).toBeGreaterThan(0.08);
  });

  it('leaves the background and silence in a gap before a placed clip', async () => {
    const xml = timelines(`<group><track><clip src="red" start="00:00:01:00" stop="00:00:02:00" mstart="00:00:00:00" timeFormat="time10ms"/></track></group>`);
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const out = outputs[0]!.path;
    expect(await frameCount(out)).toBe(50);
    expect(await pixelAt(out, 10, 160, 120)).toEqual([0, 0, 0]);
    expect(close(await pixelAt(out, 35, 160, 120), [255, 0, 0])).toBe(true);
    const sound = await decodeAudio(out);
    expect(rms(sound, 48000, 0, 0.95)).toBeLessThan(0.001);
    expect(rms(sound, 48000, 1.1, 1.9)).toBeGreaterThan(0.05);
  });
});

describe('effects and outputs', () => {
  it('applies effects: grayscale and text', async () => {
    const xml = timelines(`<group><track><clip src="red" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms">
<effect type="grayscale"/>
<effect type="text"><param name="text" value="Hi: it's [OK], 100%"/><param name="x" value="0"/><param name="y" value="0"/><param name="size" value="60"/><param name="box" value="1"/></effect>
</clip></track></group>`);
    const { outputs } = await renderXtl(xml, files, { workDir: outDir() });
    const [r, g, b] = await pixelAt(outputs[0]!.path, 10, 300, 200);
    expect(Math.abs(r - g) + Math.abs(g - b)).toBeLessThan(8);
    expect(r).toBeGreaterThan(50);
    // The text's half-transparent box darkens the corner.
    expect((await pixelAt(outputs[0]!.path, 10, 2, 2))[0]).toBeLessThan(r - 20);
  });

  it('writes webm (VP9, Opus) and sound-only mp3 outputs', async () => {
    const xml = timelines(
      `<group output="clip.webm"><track><clip src="numbered" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/></track></group>`,
      `<group container="mp3"><track><clip src="numbered" start="00:00:00:00" stop="00:00:01:00" timeFormat="time10ms"/></track></group>`,
    );
    const progress: number[] = [];
    const { outputs } = await renderXtl(xml, files, { workDir: outDir(), onProgress: (p) => progress.push(p) });
    expect(outputs.map((o) => [o.name, o.container, o.mimeType])).toEqual([
      ['clip.webm', 'webm', 'video/webm'],
      ['output-1.mp3', 'mp3', 'audio/mpeg'],
    ]);
    expect((await streamsOf(outputs[0]!.path)).map((s) => s.codec_name)).toEqual(['vp9', 'opus']);
    expect((await streamsOf(outputs[1]!.path)).map((s) => s.codec_name)).toEqual(['mp3']);
    expect(progress.at(-1)).toBe(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
  });
});
