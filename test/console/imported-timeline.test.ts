import { describe, expect, it } from 'vitest';
import { fromImportedTimeline, isImportedTimeline } from '../../console/src/editor/features/imported-timeline.js';

/** An imported project's timeline (docs/timeline.md), as the console's editor opens it. */
describe('an imported timeline in the console', () => {
  const imported = {
    format: 'cutroom-timeline' as const,
    name: 'five-events',
    fps: '25',
    tracks: [
      {
        name: 'V',
        kind: 'video' as const,
        items: [
          { type: 'clip' as const, event: '001', start: 0, end: 25, media: 'alpha', mediaName: 'alpha.mov', in: 10, out: 35, speed: 1 },
          {
            type: 'clip' as const,
            event: '002',
            start: 20,
            end: 50,
            media: 'beta',
            mediaName: 'beta.mp4',
            in: 0,
            out: 30,
            speed: 1,
            transitionIn: { type: 'dissolve', frames: 5 },
          },
          { type: 'clip' as const, event: '003', start: 50, end: 60, media: 'alpha', in: 0, out: 5, speed: 0.5 },
          { type: 'black' as const, event: '004', start: 60, end: 70 },
        ],
      },
      { name: 'A1', kind: 'audio' as const, items: [{ type: 'clip' as const, event: '001', start: 0, end: 25, media: 'alpha', in: 10, out: 35, speed: 1 }] },
    ],
  };

  it('keeps clips, dissolves as crossfades and sound, and names what it leaves out', () => {
    expect(isImportedTimeline(imported)).toBe(true);
    expect(isImportedTimeline({ version: 1, main: [] })).toBe(false);
    const { timeline, dropped } = fromImportedTimeline(imported);
    expect(timeline.output.name).toBe('five-events.mp4');
    expect(timeline.main.map((c) => [c.mediaId, c.inHns, c.outHns, c.transition])).toEqual([
      ['alpha', 4_000_000, 14_000_000, null],
      ['beta', 0, 12_000_000, { type: 'crossfade', durationHns: 2_000_000 }],
    ]);
    expect(timeline.sound).toMatchObject([{ mediaId: 'alpha', startHns: 0, inHns: 4_000_000, outHns: 14_000_000 }]);
    expect(dropped).toEqual(['event 003 (speed 0.5)', 'event 004 (black)']);
  });
});
