import { describe, expect, it } from 'vitest';
import { versionString } from './version.js';

describe('versionString', () => {
  it("formats a release as the editor API's major.minor.YYMM.DD", () => {
    expect(versionString({ major: 1, minor: 0, date: '2020-06-18' })).toBe('1.0.2006.18');
    expect(versionString({ major: 2, minor: 3, date: '2026-01-05' })).toBe('2.3.2601.05');
  });
});
