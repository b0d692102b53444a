import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findContained } from './contained-path.js';

describe('findContained', () => {
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-contained-')));
    root = path.join(base, 'library');
    await fs.mkdir(path.join(root, 'music'), { recursive: true });
    await fs.mkdir(path.join(base, 'outside'));
    await fs.writeFile(path.join(root, 'music', 'song.mp3'), 'song');
    await fs.writeFile(path.join(base, 'outside', 'secret.mp3'), 'secret');
    await fs.writeFile(path.join(base, 'library-sibling.mp3'), 'sibling');
    await fs.symlink('../outside/secret.mp3', path.join(root, 'escape.mp3'));
    await fs.symlink(path.join(base, 'outside'), path.join(root, 'outdir'));
    await fs.symlink('music/song.mp3', path.join(root, 'alias.mp3'));
    await fs.symlink('loop-b', path.join(root, 'loop-a'));
    await fs.symlink('loop-a', path.join(root, 'loop-b'));
  });
  afterAll(async () => {
    await fs.rm(base, { recursive: true, force: true });
  });

  it('finds files inside the root under one normalised path, following symlinks that stay inside', async () => {
    expect(await findContained(root, 'music/song.mp3')).toEqual({
      kind: 'found',
      relativePath: 'music/song.mp3',
      realPath: path.join(root, 'music', 'song.mp3'),
    });
    expect(await findContained(root, './music//../music/song.mp3')).toMatchObject({ kind: 'found', relativePath: 'music/song.mp3' });
    expect(await findContained(root, 'alias.mp3')).toEqual({
      kind: 'found',
      relativePath: 'alias.mp3',
      realPath: path.join(root, 'music', 'song.mp3'),
    });
  });

  it('refuses paths and symlinks that leave the root', async () => {
    for (const escaping of ['../outside/secret.mp3', 'music/../../outside/secret.mp3', '../library-sibling.mp3', '..', '.', '']) {
      expect(await findContained(root, escaping), escaping).toEqual({ kind: 'refused', reason: 'the path leaves the library folder' });
    }
    expect(await findContained(root, path.join(base, 'outside', 'secret.mp3'))).toEqual({ kind: 'refused', reason: 'the path is absolute' });
    expect(await findContained(root, 'escape.mp3')).toEqual({ kind: 'refused', reason: 'a symlink on the path leads out of the library folder' });
    expect(await findContained(root, 'outdir/secret.mp3')).toEqual({ kind: 'refused', reason: 'a symlink on the path leads out of the library folder' });
    expect(await findContained(root, 'loop-a')).toEqual({ kind: 'refused', reason: 'the path is a symlink loop' });
    expect(await findContained(root, 'music/\0.mp3')).toEqual({ kind: 'refused', reason: 'the path holds a NUL character' });
  });

  it('tells a missing file from a refused one', async () => {
    expect(await findContained(root, 'music/gone.mp3')).toEqual({ kind: 'missing', relativePath: 'music/gone.mp3', reason: 'the file is missing' });
    expect(await findContained(root, 'music/song.mp3/inside')).toMatchObject({ kind: 'missing', relativePath: 'music/song.mp3/inside' });
  });
});
