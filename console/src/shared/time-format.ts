/** Media times in the API are integers in 100 ns units; people read seconds. */

export const HNS_PER_SECOND = 10_000_000;

export function secondsToHns(seconds: number): number {
  return Math.round(seconds * HNS_PER_SECOND);
}

export function hnsToSeconds(hns: number): number {
  return hns / HNS_PER_SECOND;
}

/** `m:ss.cc` (or `h:mm:ss.cc`), for labels. */
export function formatHns(hns: number): string {
  const totalCs = Math.round(hns / 100_000);
  const cs = totalCs % 100;
  const totalS = Math.floor(totalCs / 100);
  const s = totalS % 60;
  const m = Math.floor(totalS / 60) % 60;
  const h = Math.floor(totalS / 3600);
  const tail = `${String(s).padStart(2, '0')}.${String(cs).padStart(2, '0')}`;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${tail}` : `${m}:${tail}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
