import { describe, expect, it } from 'vitest';
import type { MediaInfo } from '../ffmpeg/media-info.js';
import { clipWindow } from '../engine/clip-window.js';
import { decideOutputSettings } from '../engine/output-settings.js';
import type { ResolvedSource } from '../engine/sources.js';
import { frameAt } from '../engine/timing.js';
import { parseXtl } from '../xtl/parse-xtl.js';
import { planSegments, sliceGroup, soundOfGroup } from './segment-plan.js';

/** Where a segmented render cuts, and what each window renders (no media needed: probes are given). */

const video = (rate: number, seconds = 600): MediaInfo => ({
  kind: 'video',
  durationHns: seconds * 1e7,
  hasVideo: true,
  hasAudio: true,
  width: 1920,
  height: 1080,
  frameRate: { num: rate, den: 1 },
  sampleRate: 48000,
  channels: 2,
  videoCodec: 'h264',
  pixelFormat: 'yuv420p',
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
});
const sources = (probes: Record<string, MediaInfo>) =>
  new Map<string, ResolvedSource>(Object.entries(probes).map(([src, probe]) => [src, { input: `${src}.mp4`, probe }]));
const options = { segmentSeconds: 60, minTimelineSeconds: 180 };
const s = (seconds: number) => String(Math.round(seconds * 1e7));

function plan(xml: string, probes: Record<string, MediaInfo>, opts = options) {
  const doc = parseXtl(`<timelines version="2"><timeline>${xml}</timeline></timelines>`);
  const resolved = sources(probes);
  const settings = doc.groups.map((g) => decideOutputSettings(g, resolved));
  return { doc, resolved, settings, decision: planSegments(doc, resolved, settings, opts) };
}

const twoLayers = (extra = '') => `<group>
<track><clip src="main" start="0" stop="${s(600)}" timeFormat="100ns_units"/></track>
<track audio="0"><clip src="cam" start="0" stop="${s(300)}" mstart="${s(100)}" mstop="${s(400)}" timeFormat="100ns_units"><param name="width" value="30%"/>${extra}</clip></track>
</group>`;

describe('planning a segmented render', () => {
  it('cuts a long timeline into windows of about the segment length, covering every frame once', () => {
    const { decision } = plan(twoLayers(), { main: video(25), cam: video(25) });
    expect(decision.segmented).toBe(true);
    if (!decision.segmented) return;
    expect(decision.windows).toHaveLength(10);
    expect(decision.windows[0]!.startFrame).toBe(0);
    expect(decision.windows.at(-1)!.endFrame).toBe(600 * 25);
    for (const [i, w] of decision.windows.entries()) {
      if (i > 0) expect(w.startFrame).toBe(decision.windows[i - 1]!.endFrame);
      expect(w.endFrame - w.startFrame).toBe(1500);
    }
  });

  it('keeps short timelines, several groups, stream copies and segmenting turned off whole', () => {
    expect(plan(twoLayers(), { main: video(25), cam: video(25) }, { segmentSeconds: 60, minTimelineSeconds: 900 }).decision.segmented).toBe(false);
    expect(plan(twoLayers(), { main: video(25), cam: video(25) }, { segmentSeconds: 0, minTimelineSeconds: 0 }).decision.segmented).toBe(false);
    expect(plan(`${twoLayers()}${twoLayers()}`, { main: video(25), cam: video(25) }).decision).toMatchObject({
      segmented: false,
      reason: 'the document has several groups',
    });
    const gop = `<group><track accuracy="gop"><clip src="main" start="0" stop="${s(600)}" timeFormat="100ns_units"/></track></group>`;
    expect(plan(gop, { main: video(25) }).decision.segmented).toBe(false);
    const webm = twoLayers().replace('<group>', '<group container="webm">');
    expect(plan(webm, { main: video(25), cam: video(25) }).decision.segmented).toBe(false);
  });

  it('never cuts through a clip whose frames do not map one to one onto the output, nor inside a fade or transition', () => {
    // The upper layer (on the timeline from 0 to 300 s, from 100 s of its source) runs at 30 fps: no cut there.
    const { decision } = plan(twoLayers(), { main: video(25), cam: video(30) });
    expect(decision.segmented).toBe(true);
    if (!decision.segmented) return;
    expect(decision.windows[1]!.startFrame).toBe(300 * 25);
    for (const w of decision.windows.slice(1)) expect(w.startFrame).toBeGreaterThanOrEqual(300 * 25);

    const faded = plan(twoLayers(`<param name="videofadeout" value="${s(250)}" timeFormat="100ns_units"/>`), { main: video(25), cam: video(25) }).decision;
    if (!faded.segmented) throw new Error('not segmented');
    // Fading out from 50 s to 300 s.
    expect(faded.windows[1]!.startFrame).toBe(50 * 25);
    for (const w of faded.windows.slice(1)) expect(w.startFrame <= 50 * 25 || w.startFrame >= 300 * 25).toBe(true);

    const crossfade = `<group>
<track><clip src="main" start="0" stop="${s(300)}" timeFormat="100ns_units"/><transition type="crossfade" duration="${s(100)}" timeFormat="100ns_units"/><clip src="main" start="0" stop="${s(300)}" timeFormat="100ns_units"/></track>
<track audio="0"><clip src="cam" start="0" stop="${s(500)}" timeFormat="100ns_units"><param name="width" value="30%"/></clip></track>
</group>`;
    const crossed = plan(crossfade, { main: video(25), cam: video(25) }).decision;
    if (!crossed.segmented) throw new Error('not segmented');
    // The clips overlap from 200 s to 300 s.
    for (const w of crossed.windows.slice(1)) expect(w.startFrame <= 200 * 25 || w.startFrame >= 300 * 25).toBe(true);
  });
});

describe('slicing a window', () => {
  it('starts each cut clip on the source frame the whole render shows there, and keeps every layer', () => {
    const { doc, resolved, settings } = plan(twoLayers(), { main: video(25), cam: video(25) });
    const group = doc.groups[0]!;
    const output = settings[0]!;
    const window = { startFrame: 3000, endFrame: 4500 };
    const slice = sliceGroup(group, window, resolved, output);
    const sliced = decideOutputSettings(slice, resolved);
    expect(frameAt(sliced.durationHns, sliced.frameRate)).toBe(1500);
    expect({ ...sliced, durationHns: 0, hasAudio: false }).toEqual({ ...output, durationHns: 0, hasAudio: false });
    expect(sliced.hasAudio).toBe(false);
    // Both layers are still there, the upper one cut at both ends.
    expect(slice.tracks.map((t) => t.clips.filter((c) => c.timelineStopHns > c.timelineStartHns).length)).toEqual([1, 1]);
    for (const [t, track] of group.tracks.entries()) {
      const whole = clipWindow(track.clips[0]!, resolved.get(track.clips[0]!.src)!.probe, output);
      const part = slice.tracks[t]!.clips.find((c) => c.timelineStopHns > c.timelineStartHns)!;
      const cut = clipWindow(part, resolved.get(part.src)!.probe, sliced);
      const firstFrameInWhole = Math.max(whole.startFrame, window.startFrame);
      expect(cut.startFrame).toBe(firstFrameInWhole - window.startFrame);
      expect(cut.inS).toBeCloseTo(whole.inS + (firstFrameInWhole - whole.startFrame) / 25, 9);
      expect(cut.endFrame).toBe(Math.min(whole.endFrame, window.endFrame) - window.startFrame);
    }
  });

  it('renders the sound of the whole timeline, without its picture, in a container of the output codec', () => {
    const { doc, resolved, settings } = plan(twoLayers(), { main: video(25), cam: video(25) });
    const sound = decideOutputSettings(soundOfGroup(doc.groups[0]!, settings[0]!), resolved);
    expect(sound).toMatchObject({
      container: 'm4a',
      hasVideo: false,
      hasAudio: true,
      durationHns: settings[0]!.durationHns,
      sampleRate: settings[0]!.sampleRate,
    });
  });
});
