import { describe, expect, it } from 'vitest';
import { copyableRun, MAX_RANGES_PER_ENCODE, planPieces } from './cut-pieces.js';
import { cleanEndsOf, type GopMap, type Keyframe } from './gop-scan.js';

/** Which frames are copied and which re-encoded, on GOP maps written out by hand. */

/** Closed GOPs of `gop` frames, every keyframe an IDR picture. */
function closedGops(gop: number, frames: number): GopMap {
  const keyframes: Keyframe[] = [];
  for (let f = 0; f < frames; f += gop) keyframes.push({ frame: f, idr: true, runStartFrame: f });
  return { keyframes, frameCount: frames, reorderDepth: 2, offGrid: [] };
}

describe('copyableRun', () => {
  const gops = closedGops(10, 100);

  it('copies from the first IDR frame in the clip to the last GOP start in it', () => {
    expect(copyableRun({ source: 's', from: 20, to: 30 }, gops)).toEqual({ from: 20, to: 30 });
    expect(copyableRun({ source: 's', from: 21, to: 31 }, gops)).toBeUndefined();
    expect(copyableRun({ source: 's', from: 19, to: 41 }, gops)).toEqual({ from: 20, to: 40 });
    expect(copyableRun({ source: 's', from: 9, to: 10 }, gops)).toBeUndefined();
  });

  it('copies to the end of the stream when the clip goes there', () => {
    expect(copyableRun({ source: 's', from: 85, to: 100 }, gops)).toEqual({ from: 90, to: 100 });
    expect(copyableRun({ source: 's', from: 85, to: 99 }, gops)).toBeUndefined();
  });

  it('starts only on IDR frames, and stops before the leading pictures of an open GOP', () => {
    // I pictures at 10, 20, 30 with two leading pictures each (decoded after them); IDR at 0 and 40.
    const open: GopMap = {
      keyframes: [
        { frame: 0, idr: true, runStartFrame: 0 },
        { frame: 10, idr: false, runStartFrame: 8 },
        { frame: 20, idr: false, runStartFrame: 18 },
        { frame: 30, idr: false, runStartFrame: 28 },
        { frame: 40, idr: true, runStartFrame: 40 },
        { frame: 50, idr: false, runStartFrame: 48 },
      ],
      frameCount: 60,
      reorderDepth: 2,
      offGrid: [],
    };
    expect(copyableRun({ source: 's', from: 5, to: 35 }, open)).toBeUndefined();
    expect(copyableRun({ source: 's', from: 0, to: 35 }, open)).toEqual({ from: 0, to: 28 });
    expect(copyableRun({ source: 's', from: 40, to: 49 }, open)).toEqual({ from: 40, to: 48 });
    expect(copyableRun({ source: 's', from: 40, to: 47 }, open)).toBeUndefined();
  });

  it('does not stop at a keyframe whose run start is unknown', () => {
    const unsure: GopMap = { ...closedGops(10, 100), frameCount: undefined };
    unsure.keyframes[3] = { frame: 30, idr: true, runStartFrame: undefined };
    expect(copyableRun({ source: 's', from: 20, to: 35 }, unsure)).toBeUndefined();
    expect(copyableRun({ source: 's', from: 20, to: 45 }, unsure)).toEqual({ from: 20, to: 40 });
  });
});

describe("copying into the GOP at a clip's end", () => {
  // Display I0 B1 B2 P3 B4 B5 P6 B7 B8 P9, decoded I0 P3 B1 B2 P6 B4 B5 P9 B7 B8.
  const decoded = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8];

  it("finds where a GOP's pictures so far decode on their own: after each anchor picture and its B pictures", () => {
    expect(cleanEndsOf(decoded)).toEqual([0, 3, 6, 9]);
    // B-pyramid: I0 P4 B2 b1 b3 P8 B6 b5 b7.
    expect(cleanEndsOf([0, 4, 2, 1, 3, 8, 6, 5, 7])).toEqual([0, 4, 8]);
    // A GOP with leading pictures stops at the first one.
    expect(cleanEndsOf([10, 8, 9, 13, 11, 12])).toEqual([10]);
    expect(cleanEndsOf([])).toEqual([]);
  });

  it('copies on past the last whole GOP up to the last anchor picture inside the clip, re-encoding only what follows', () => {
    const gops = closedGops(10, 100);
    gops.keyframes[3] = { ...gops.keyframes[3]!, cleanEnds: cleanEndsOf(decoded).map((f) => f + 30) };
    expect(copyableRun({ source: 's', from: 15, to: 38 }, gops)).toEqual({ from: 20, to: 37 });
    expect(copyableRun({ source: 's', from: 15, to: 37 }, gops)).toEqual({ from: 20, to: 37 });
    expect(copyableRun({ source: 's', from: 15, to: 36 }, gops)).toEqual({ from: 20, to: 34 });
    expect(copyableRun({ source: 's', from: 15, to: 30 }, gops)).toEqual({ from: 20, to: 30 });
    // A clip with no whole GOP is still not copied from inside one.
    expect(copyableRun({ source: 's', from: 30, to: 38 }, gops)).toBeUndefined();
    const plan = planPieces([{ source: 's', from: 15, to: 38 }], () => gops);
    expect(plan.pieces).toEqual([
      { kind: 'encode', ranges: [{ source: 's', from: 15, to: 20 }] },
      { kind: 'copy', source: 's', from: 20, to: 37 },
      { kind: 'encode', ranges: [{ source: 's', from: 37, to: 38 }] },
    ]);
  });

  it('does not copy into a GOP that has leading pictures', () => {
    const gops = closedGops(10, 100);
    gops.keyframes[3] = { frame: 30, idr: false, runStartFrame: 28, cleanEnds: [30, 33] };
    expect(copyableRun({ source: 's', from: 15, to: 36 }, gops)).toEqual({ from: 20, to: 28 });
  });
});

describe('planPieces', () => {
  it('re-encodes the partial GOPs around each copy, one encode across each join', () => {
    const gops = closedGops(10, 100);
    const plan = planPieces(
      [
        { source: 'a', from: 5, to: 37 },
        { source: 'b', from: 12, to: 14 },
        { source: 'a', from: 60, to: 100 },
      ],
      () => gops,
    );
    expect(plan.pieces).toEqual([
      { kind: 'encode', ranges: [{ source: 'a', from: 5, to: 10 }] },
      { kind: 'copy', source: 'a', from: 10, to: 30 },
      {
        kind: 'encode',
        ranges: [
          { source: 'a', from: 30, to: 37 },
          { source: 'b', from: 12, to: 14 },
        ],
      },
      { kind: 'copy', source: 'a', from: 60, to: 100 },
    ]);
    expect(plan.copiedFrames).toBe(60);
    expect(plan.totalFrames).toBe(32 + 2 + 40);
  });

  it('encodes many short clips in several runs, a few ranges each', () => {
    const gops = closedGops(10, 100);
    const clips = Array.from({ length: 20 }, (_, i) => ({ source: 'a', from: i * 4, to: i * 4 + 2 }));
    const plan = planPieces(clips, () => gops);
    expect(plan.pieces.map((p) => (p.kind === 'encode' ? p.ranges.length : 0))).toEqual([MAX_RANGES_PER_ENCODE, MAX_RANGES_PER_ENCODE, 4]);
  });

  it('keeps frames that follow each other in one source as one range', () => {
    const gops = closedGops(10, 100);
    const plan = planPieces(
      [
        { source: 'a', from: 3, to: 6 },
        { source: 'a', from: 6, to: 8 },
      ],
      () => gops,
    );
    expect(plan.pieces).toEqual([{ kind: 'encode', ranges: [{ source: 'a', from: 3, to: 8 }] }]);
    expect(plan.copiedFrames).toBe(0);
  });
});
