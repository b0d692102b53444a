import type { Rational } from '../ffmpeg/media-info.js';

/** XTL's time formats (SolveigMM's names), and parsing them into 100 ns units. */
export const TIME_FORMATS = ['time10ms', '100ns_units'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

export const HNS_PER_SECOND = 10_000_000;

/** Parses a time; returns undefined when the text is not a valid time in that format. */
export function parseXtlTime(text: string, format: TimeFormat): number | undefined {
  if (format === '100ns_units') {
    if (!/^\d{1,16}$/.test(text)) return undefined;
    const hns = Number(text);
    return Number.isSafeInteger(hns) ? hns : undefined;
  }
  // hh:mm:ss:cc, cc in hundredths of a second
  const match = /^(\d{1,3}):(\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [h, m, s, cs] = match.slice(1).map(Number) as [number, number, number, number];
  if (m > 59 || s > 59) return undefined;
  return ((h * 3600 + m * 60 + s) * 100 + cs) * 100_000;
}

export function formatHns(hns: number): string {
  return `${(hns / HNS_PER_SECOND).toFixed(3)}s`;
}

const ntscRates: Record<string, Rational> = {
  '23.976': { num: 24000, den: 1001 },
  '23.98': { num: 24000, den: 1001 },
  '29.97': { num: 30000, den: 1001 },
  '47.952': { num: 48000, den: 1001 },
  '59.94': { num: 60000, den: 1001 },
  '119.88': { num: 120000, den: 1001 },
};

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** `25`, `29.97`, `30000/1001` → an exact rational; undefined when not a positive rate. */
export function parseFrameRate(text: string): Rational | undefined {
  if (ntscRates[text]) return ntscRates[text];
  const fraction = /^(\d{1,6})\/(\d{1,6})$/.exec(text);
  if (fraction) {
    const num = Number(fraction[1]);
    const den = Number(fraction[2]);
    if (num <= 0 || den <= 0) return undefined;
    const g = gcd(num, den);
    return { num: num / g, den: den / g };
  }
  const decimal = /^(\d{1,4})(?:\.(\d{1,3}))?$/.exec(text);
  if (!decimal) return undefined;
  const den = 10 ** (decimal[2]?.length ?? 0);
  const num = Number(decimal[1]) * den + Number(decimal[2] ?? 0);
  if (num <= 0) return undefined;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}
