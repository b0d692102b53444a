import fs from 'node:fs/promises';

/** Bytes an unprivileged process can still write on the filesystem holding `dir`. */
export async function freeDiskBytes(dir: string): Promise<number> {
  await fs.mkdir(dir, { recursive: true });
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}
