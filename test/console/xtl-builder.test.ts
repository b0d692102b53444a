import { describe, expect, it } from 'vitest';
import { parseXtl } from '../../render-node/src/xtl/index.js';
import { buildXtl } from '../../console/src/editor/timeline/xtl-builder.js';
import { emptyTimeline, mainClipStarts, timelineDurationHns, timelineProblems, type Timeline } from '../../console/src/editor/timeline/timeline-model.js';

/** The console's timelines, written as XTL and read back by the render node's own parser. */

const S = 10_000_000;
const media = (mediaId: string, durationS: number) => ({
  mediaId,
  name: `${mediaId}.mp4`,
  mediaType: 'video' as const,
  durationHns: durationS * S,
  width: 320,
  height: 240,
});

function sample(): Timeline {
  const timeline = emptyTimeline();
  timeline.output = { name: 'teaser & more.mp4', container: 'mp4', width: 0, height: 0 };
  timeline.main = [
    { ...media('red', 3), id: 'a', inHns: 0, outHns: 2 * S, transition: null },
    { ...media('blue', 3), id: 'b', inHns: 1 * S, outHns: 3 * S, transition: { type: 'crossfade', durationHns: 0.8 * S } },
  ];
  timeline.overlays = [
    { ...media('green', 3), id: 'o1', kind: 'media', startHns: 0.4 * S, inHns: 0, outHns: 0.8 * S, box: { xPct: 60, yPct: 10, widthPct: 30 } },
    {
      id: 't1',
      kind: 'text',
      startHns: 1.2 * S,
      durationHns: 1 * S,
      overlayId: null,
      style: { text: 'Hi', color: '#000', background: '#fff', sizePct: 8, xPct: 5, yPct: 75 },
    },
  ];
  timeline.sound = [
    { ...media('music', 10), mediaType: 'audio', width: 0, height: 0, id: 's1', origin: 'library', startHns: 0, inHns: 2 * S, outHns: 5 * S, volume: 0.5 },
  ];
  return timeline;
}

describe('the console timeline as XTL', () => {
  it('places main clips one after another, overlapping by their transition', () => {
    const timeline = sample();
    expect(mainClipStarts(timeline.main)).toEqual([0, 1.2 * S]);
    expect(timelineDurationHns(timeline)).toBe(3.2 * S);
    expect(timelineProblems(timeline)).toEqual([]);
  });

  it('is read by the render node as the same timeline', () => {
    const doc = parseXtl(buildXtl(sample(), { overlayIds: { t1: 'overlay-1' } }));
    expect(doc.groups).toHaveLength(1);
    const [group] = doc.groups;
    expect(group!.output).toBe('teaser & more.mp4');
    expect(group!.container).toBe('mp4');
    const [main, overlays, sound] = group!.tracks;
    expect(main!.clips.map((c) => [c.src, c.sourceStartHns, c.sourceStopHns, c.timelineStartHns, c.timelineStopHns])).toEqual([
      ['red', 0, 2 * S, 0, 2 * S],
      ['blue', 1 * S, 3 * S, 1.2 * S, 3.2 * S],
    ]);
    expect(main!.clips[0]!.transitionToNext).toMatchObject({ type: 'crossfade', durationHns: 0.8 * S });
    // The media overlay and the text end before or when the other starts: one upper track holds both.
    expect(overlays).toMatchObject({ video: true, audio: false });
    expect(overlays!.clips.map((c) => [c.src, c.timelineStartHns, c.timelineStopHns, c.sourceStartHns])).toEqual([
      ['green', 0.4 * S, 1.2 * S, 0],
      ['overlay-1', 1.2 * S, 2.2 * S, 0],
    ]);
    expect(overlays!.clips[0]!.params).toMatchObject({ x: { value: 60, unit: '%' }, y: { value: 10, unit: '%' }, width: { value: 30, unit: '%' } });
    expect(sound).toMatchObject({ video: false, audio: true });
    expect(sound!.clips[0]).toMatchObject({ src: 'music', timelineStartHns: 0, timelineStopHns: 3 * S, sourceStartHns: 2 * S });
    expect(sound!.clips[0]!.params.volume).toBeCloseTo(0.5);
  });

  it('puts overlapping overlays on tracks of their own', () => {
    const timeline = sample();
    timeline.overlays[1] = { ...(timeline.overlays[1] as Extract<Timeline['overlays'][number], { kind: 'text' }>), startHns: 0.5 * S };
    const doc = parseXtl(buildXtl(timeline));
    const upper = doc.groups[0]!.tracks.filter((t) => t.video && !t.audio);
    expect(upper.map((t) => t.clips.map((c) => c.src))).toEqual([['green'], ['text-overlay-t1']]);
  });

  it('names what keeps a timeline from rendering', () => {
    const timeline = sample();
    timeline.main[1]!.transition = { type: 'crossfade', durationHns: 5 * S };
    timeline.main[0]!.outHns = 0;
    expect(timelineProblems(timeline)).toEqual([
      'clip 1 (red.mp4): the out point must be after the in point',
      'clip 2 (blue.mp4): the transition must last more than 0 and no longer than either clip',
    ]);
    expect(timelineProblems(emptyTimeline())).toEqual(['the timeline is empty']);
  });
});
