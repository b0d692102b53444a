import type { Rational } from '../ffmpeg/media-info.js';

/**
 * SMPTE timecode on an exact frame rate. Timecode counts `nominal` frames a second (30 for
 * 29.97); drop-frame timecode (29.97 and 59.94 only) skips the first 2 (or 4) frame numbers of
 * every minute but each tenth, so that its labels keep up with the clock.
 */

export class TimecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimecodeError';
  }
}

/** Whole frames a second that timecode labels count (30 for 30000/1001). */
export function nominalFps(rate: Rational): number {
  return Math.round(rate.num / rate.den);
}

/** Drop-frame counting exists only for the NTSC rates 29.97 and 59.94. */
export function canDropFrame(rate: Rational): boolean {
  return rate.den === 1001 && (rate.num === 30000 || rate.num === 60000);
}

const TIMECODE = /^(\d{1,2})[:;.,](\d{2})[:;.,](\d{2})([:;.,])(\d{2,3})$/;

/** Whether a timecode's own spelling says drop-frame (`;`, `.` or `,` before the frames). */
export function writtenAsDropFrame(text: string): boolean {
  const match = TIMECODE.exec(text.trim());
  return match !== null && match[4] !== ':';
}

export function isTimecode(text: string): boolean {
  return TIMECODE.test(text.trim());
}

/**
 * The frame number a timecode names, counted from 00:00:00:00. `dropFrame` undefined: from the
 * timecode's own separator.
 */
export function timecodeToFrames(text: string, rate: Rational, dropFrame?: boolean): number {
  const match = TIMECODE.exec(text.trim());
  if (!match) throw new TimecodeError(`"${text}" is not a timecode (hh:mm:ss:ff)`);
  const [h, m, s, f] = [match[1], match[2], match[3], match[5]].map(Number) as [number, number, number, number];
  const drop = dropFrame ?? match[4] !== ':';
  const fps = nominalFps(rate);
  if (m > 59 || s > 59 || f >= fps) throw new TimecodeError(`"${text}" is not a valid timecode at ${fps} frames a second`);
  const labels = (h * 3600 + m * 60 + s) * fps + f;
  if (!drop) return labels;
  if (!canDropFrame(rate)) throw new TimecodeError(`"${text}" is drop-frame timecode, which exists only at 29.97 and 59.94 fps`);
  const dropped = fps / 15; // 2 at 29.97, 4 at 59.94
  if (s === 0 && m % 10 !== 0 && f < dropped)
    throw new TimecodeError(
      `"${text}" does not exist in drop-frame timecode (frames ${dropped > 2 ? '00-03' : '00 and 01'} of each minute but every tenth are skipped)`,
    );
  const minutes = h * 60 + m;
  return labels - dropped * (minutes - Math.floor(minutes / 10));
}

/** The timecode of a frame number (drop-frame written with `;`). */
export function framesToTimecode(frames: number, rate: Rational, dropFrame = false): string {
  const fps = nominalFps(rate);
  let labels = Math.max(0, Math.round(frames));
  if (dropFrame && canDropFrame(rate)) {
    const dropped = fps / 15;
    const perTenMinutes = fps * 600 - dropped * 9;
    const perMinute = fps * 60 - dropped;
    const tens = Math.floor(labels / perTenMinutes);
    const rest = labels % perTenMinutes;
    labels += dropped * 9 * tens + (rest > dropped ? dropped * Math.floor((rest - dropped) / perMinute) : 0);
  }
  const two = (n: number) => String(n).padStart(2, '0');
  const f = labels % fps;
  const totalSeconds = Math.floor(labels / fps);
  const separator = dropFrame && canDropFrame(rate) ? ';' : ':';
  return `${two(Math.floor(totalSeconds / 3600))}:${two(Math.floor(totalSeconds / 60) % 60)}:${two(totalSeconds % 60)}${separator}${two(f)}`;
}

const NTSC_RATES: Rational[] = [
  { num: 24000, den: 1001 },
  { num: 30000, den: 1001 },
  { num: 48000, den: 1001 },
  { num: 60000, den: 1001 },
  { num: 120000, den: 1001 },
];

/**
 * The exact rate a number stands for: 29.97 (or 29.976...) is 30000/1001, 23.976 is 24000/1001,
 * 59.94 is 60000/1001; whole numbers are themselves. Other fractions are refused.
 */
export function rateFromNumber(value: number): Rational {
  if (!Number.isFinite(value) || value <= 0 || value > 240) throw new TimecodeError(`${value} is not a frame rate from 1 to 240`);
  if (Math.abs(value - Math.round(value)) < 1e-6) return { num: Math.round(value), den: 1 };
  const ntsc = NTSC_RATES.find((r) => Math.abs(r.num / r.den - value) < 0.006);
  if (ntsc) return ntsc;
  if (Math.abs(value * 2 - Math.round(value * 2)) < 1e-6) return { num: Math.round(value * 2), den: 2 };
  throw new TimecodeError(`${value} is not a frame rate we know (24, 25, 30, 50, 60, 23.976, 29.97, 59.94...)`);
}

/** `num/den`, or the whole number. */
export function rateText(rate: Rational): string {
  return rate.den === 1 ? String(rate.num) : `${rate.num}/${rate.den}`;
}

/** A time in 100 ns units for a frame number at a rate (nearest unit). */
export function framesToHns(frames: number, rate: Rational): number {
  return Math.round((frames * rate.den * 10_000_000) / rate.num);
}

/** The nearest frame number at a rate for a time in 100 ns units. */
export function hnsToFrames(hns: number, rate: Rational): number {
  return Math.round((hns * rate.num) / (rate.den * 10_000_000));
}

/** Reads what `rateText` writes: `25` or `30000/1001`. */
export function parseRateText(text: string): Rational | undefined {
  const match = /^(\d{1,7})(?:\/(\d{1,7}))?$/.exec(text.trim());
  if (!match) return undefined;
  const rate = { num: Number(match[1]), den: Number(match[2] ?? 1) };
  return rate.num > 0 && rate.den > 0 && rate.num / rate.den <= 240 ? rate : undefined;
}
