import { readFileSync } from 'node:fs';

/**
 * CPU time this process has used, and its finished children (ffmpeg, ffprobe): what a render
 * costs in CPU beside its wall time, so that a render bound by the machine's cores shows as such.
 * The children's part is Linux's (cutime and cstime in /proc/self/stat); elsewhere it is absent.
 */

/** Clock ticks per second of /proc's times (USER_HZ, 100 on Linux's usual builds). */
const TICKS_PER_S = 100;

export interface CpuTime {
  /** This process, user and system. */
  nodeMs: number;
  /** Children waited for, user and system; undefined where /proc does not say. */
  toolsMs: number | undefined;
}

export function cpuTime(): CpuTime {
  const { user, system } = process.cpuUsage();
  return { nodeMs: Math.round((user + system) / 1000), toolsMs: childrenCpuMs() };
}

function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The fields after the command name (which may hold spaces), from field 3 (state) on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[13]);
    const cstime = Number(fields[14]);
    if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return undefined;
    return Math.round(((cutime + cstime) * 1000) / TICKS_PER_S);
  } catch {
    return undefined;
  }
}
