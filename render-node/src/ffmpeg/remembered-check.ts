import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultBinaries, locateExecutable, type FfmpegBinaries } from './binaries.js';
import { checkFfmpeg, MIN_FFMPEG_MAJOR, type FfmpegInstallation } from './check-ffmpeg.js';

/**
 * `checkFfmpeg`, remembered on disk. Every render node checks ffmpeg before its task: three
 * spawns, about 0.35 s of CPU with a distribution's ffmpeg (it loads some 200 shared libraries
 * each time), taken from the render beside it when a warm node starts during one. The nodes of
 * one machine check the same binaries, so a passed check is kept in the temporary directory
 * under their identity (resolved path, size, modification time, inode): a binary replaced or
 * removed is checked again. Failed checks are not kept.
 */

interface Remembered {
  identity: string;
  version: string;
  major: number | null;
  encoders: string[];
}

/** Size, time and inode of each binary as resolved; undefined when one cannot be found. */
async function identityOf(binaries: FfmpegBinaries): Promise<string | undefined> {
  const parts: string[] = [];
  for (const name of [binaries.ffmpeg, binaries.ffprobe]) {
    const located = locateExecutable(name);
    if (!located) return undefined;
    const real = await fs.realpath(located).catch(() => undefined);
    const stat = real ? await fs.stat(real).catch(() => undefined) : undefined;
    if (!real || !stat) return undefined;
    parts.push(`${real}:${stat.size}:${stat.mtimeMs}:${stat.ino}`);
  }
  return JSON.stringify([parts, MIN_FFMPEG_MAJOR]);
}

const uid = () => process.getuid?.() ?? 0;

/** Only a file of ours that nobody else may write is believed. */
async function readRemembered(file: string, identity: string): Promise<Remembered | undefined> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const stat = await handle.stat();
      if (stat.uid !== uid() || (stat.mode & 0o022) !== 0) return undefined;
      const remembered = JSON.parse(await handle.readFile('utf8')) as Remembered;
      return remembered.identity === identity && Array.isArray(remembered.encoders) ? remembered : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

async function remember(file: string, remembered: Remembered): Promise<void> {
  const partial = `${file}.${process.pid}.part`;
  try {
    await fs.writeFile(partial, JSON.stringify(remembered), { mode: 0o600 });
    await fs.rename(partial, file);
  } catch {
    // Not kept: the next node checks again.
    await fs.rm(partial, { force: true }).catch(() => undefined);
  }
}

export async function checkFfmpegRemembered(binaries: FfmpegBinaries = defaultBinaries(), dir = os.tmpdir()): Promise<FfmpegInstallation> {
  const identity = await identityOf(binaries);
  // A binary that cannot be found: the check itself says so, clearly.
  if (identity === undefined) return checkFfmpeg(binaries);
  const key = createHash('sha256').update(identity).digest('hex').slice(0, 24);
  const file = path.join(dir, `cutroom-ffmpeg-check-${uid()}-${key}.json`);
  const known = await readRemembered(file, identity);
  if (known) {
    const { version, major, encoders } = known;
    return { ffmpegPath: binaries.ffmpeg, ffprobePath: binaries.ffprobe, version, major: major ?? undefined, encoders: new Set(encoders) };
  }
  const installation = await checkFfmpeg(binaries);
  await remember(file, { identity, version: installation.version, major: installation.major ?? null, encoders: [...installation.encoders] });
  return installation;
}
