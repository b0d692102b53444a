import type { Rational } from '../ffmpeg/media-info.js';

/**
 * Time arithmetic on exact grids. Timeline times (100 ns units) become output frame and sample
 * indices by rounding to the nearest; a cut in a source lands on the frame boundary nearest the
 * time the timeline names (never on a keyframe).
 */

export const HNS = 10_000_000;

export function fps(rate: Rational): number {
  return rate.num / rate.den;
}

/** The output frame index at a timeline time. */
export function frameAt(hns: number, rate: Rational): number {
  return Math.round((hns * rate.num) / (rate.den * HNS));
}

/** The audio sample index at a timeline time. */
export function sampleAt(hns: number, sampleRate: number): number {
  return Math.round((hns * sampleRate) / HNS);
}

export function framesToSeconds(frames: number, rate: Rational): number {
  return (frames * rate.den) / rate.num;
}

/** Seconds, written for ffmpeg options with enough digits for microseconds. */
export function secondsArg(seconds: number): string {
  const text = seconds.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}

export function rateArg(rate: Rational): string {
  return `${rate.num}/${rate.den}`;
}
