/**
 * The release this build is. `/api/version` answers `major.minor.YYMM.DD` as the editor API does
 * ("1.0.2006.18": version 1.0 released on 2020-06-18); bump both on a release.
 */
export const RELEASE = { major: 1, minor: 0, date: '2026-11-28' } as const;

export function versionString(release: { major: number; minor: number; date: string } = RELEASE): string {
  const [year, month, day] = release.date.split('-');
  return `${release.major}.${release.minor}.${year!.slice(2)}${month}.${day}`;
}
