import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * Finds a file named by a path relative to a root folder, refusing any way out of the root:
 * an absolute path, `..` past the root, or a symlink anywhere on the way whose target is
 * outside it (symlinks within the root are followed). The answer names the real file, so the
 * caller opens what was checked, not the path again.
 */

export type ContainedFile =
  /** `relativePath` is the normalised path inside the root (`/`-separated), the same for every spelling of one file. */
  { kind: 'found'; relativePath: string; realPath: string } | { kind: 'missing'; relativePath: string; reason: string } | { kind: 'refused'; reason: string };

/** `root` must already be a real path (no symlinks in it). */
export async function findContained(root: string, relativePath: string): Promise<ContainedFile> {
  if (relativePath.includes('\0')) return { kind: 'refused', reason: 'the path holds a NUL character' };
  if (path.isAbsolute(relativePath)) return { kind: 'refused', reason: 'the path is absolute' };
  const resolved = path.resolve(root, relativePath);
  if (!isInside(root, resolved)) return { kind: 'refused', reason: 'the path leaves the library folder' };
  const normalised = path.relative(root, resolved).split(path.sep).join('/');
  let realPath: string;
  try {
    realPath = await fsp.realpath(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { kind: 'refused', reason: 'the path is a symlink loop' };
    const reason = code === 'ENOENT' || code === 'ENOTDIR' ? 'the file is missing' : `the file cannot be read (${code ?? 'error'})`;
    return { kind: 'missing', relativePath: normalised, reason };
  }
  if (!isInside(root, realPath)) return { kind: 'refused', reason: 'a symlink on the path leads out of the library folder' };
  return { kind: 'found', relativePath: normalised, realPath };
}

/** Strictly below `root` (the root itself is not a file inside it). */
function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
