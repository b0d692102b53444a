import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { settledMedia, signedInUser, type TestUser } from '../support/media-factory.js';
import { makeMedia } from '../support/media.js';
import { askState, chunks, putChunk } from '../support/uploader.js';

/**
 * A full disk in `fs` mode, for real: DATA_DIR is a small tmpfs mounted for the test (root only;
 * elsewhere the test is skipped and says so). A chunk that hits ENOSPC answers 507
 * `low_disk_space`, leaves no partial object, and the upload completes byte-identical once
 * space is back. A new upload that would not fit is refused up front.
 */
const run = promisify(execFile);
const mountPoint = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-full-disk-'));
const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint]).then(
  () => true,
  (error: Error) => {
    console.warn(`full-disk test skipped: cannot mount a tmpfs here (${error.message.trim()})`);
    return false;
  },
);

describe.runIf(mounted)('a full disk in fs mode', () => {
  let server: TestServer;
  let alice: TestUser;
  const filler = path.join(mountPoint, 'filler');
  beforeAll(async () => {
    server = await startTestServer('postgres', { DATA_DIR: mountPoint, MIN_FREE_DISK_BYTES: '1mb', DISPATCH_INTERVAL_MS: '200' });
    alice = await signedInUser(server, 'alice');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.stop();
    await run('umount', [mountPoint]).catch(() => {});
    await fs.rm(mountPoint, { recursive: true, force: true });
  });

  /** Fills the disk to the last byte. */
  const fillDisk = async () => {
    const handle = await fs.open(filler, 'w');
    const block = Buffer.alloc(256 * 1024, 1);
    try {
      for (;;) await handle.write(block);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      await handle.close();
    }
    // The last block may have been cut short: fill what is left byte by byte.
    const last = await fs.open(filler, 'a');
    try {
      for (;;) await last.write(Buffer.alloc(1024, 1));
    } catch {
      // full
    } finally {
      await last.close();
    }
  };

  it('answers 507 low_disk_space for a chunk that hits ENOSPC, keeps nothing of it, and completes once space is back', async () => {
    const bytes = await fs.readFile(
      await makeMedia('full-disk-4s.mp4', [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=25:duration=4',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-b:v',
        '3M',
        '-pix_fmt',
        'yuv420p',
      ]),
    );
    const plan = chunks(bytes.length, 256 * 1024);
    const { id } = (await alice.api.post('/api/upload/media', { size: bytes.length, name: 'clip.mp4' })).body;
    for (const chunk of plan.slice(0, 2)) expect((await putChunk(alice.api, id, bytes, chunk)).status).toBe(206);

    await fillDisk();
    const refused = await putChunk(alice.api, id, bytes, plan[2]!);
    expect(refused.status).toBe(507);
    expect(refused.body.error.type).toBe('low_disk_space');
    // A new upload is refused up front while the disk is full.
    const early = await alice.api.post('/api/upload/media', { size: 1000, name: 'other.mp4' });
    expect(early.status).toBe(507);
    expect(early.body.error.type).toBe('low_disk_space');
    // Nothing of the refused chunk was kept: the Range is what was acknowledged, and no staging file is left.
    const state = await askState(alice.api, id, bytes.length);
    expect(state.headers.get('range')).toBe(`bytes=0-${plan[1]!.end}`);
    const staging = await fs.readdir(path.join(mountPoint, 'objects', '.staging')).catch(() => []);
    expect(staging).toEqual([]);

    await fs.rm(filler);
    let last = state;
    for (const chunk of plan.slice(2)) last = await putChunk(alice.api, id, bytes, chunk);
    expect(last.status).toBe(200);
    const entry = await settledMedia(alice, id);
    expect(entry.error).toBeNull();
    const stored = Buffer.from(await (await fetch(entry.originalUrl)).arrayBuffer());
    expect(stored.equals(bytes)).toBe(true);
  }, 120_000);
});
