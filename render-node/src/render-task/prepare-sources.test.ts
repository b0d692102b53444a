import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffprobe } from '../ffmpeg/ffprobe.js';
import { makeTestVideo, tempDir } from '../test-support/lavfi-media.js';
import { TaskFailure } from '../worker/task-handler.js';
import { prepareSources, type PrepareOptions } from './prepare-sources.js';

/** Stored media are described from their ingest's probe when the work order carries it. */

let work: { dir: string; remove: () => Promise<void> };
let video: string;
beforeAll(async () => {
  work = await tempDir();
  video = await makeTestVideo(work.dir, 'clip', { width: 320, height: 240, durationS: 1 });
});
afterAll(async () => work.remove());

const options = (): PrepareOptions => ({ scratchDir: work.dir, signal: new AbortController().signal, onDownloadProgress() {}, log() {} });

describe('prepareSources for stored media', () => {
  it('takes the description from the probe made at ingest, without reading the file again', async () => {
    const probe = await ffprobe(video);
    // The bytes are not where the work order says: a probe of the file would fail.
    const moved = path.join(work.dir, 'moved-away.mp4');
    const sources = await prepareSources({ s: { kind: 'file', path: moved, probe } }, options());
    expect(sources.get('s')).toMatchObject({ input: moved, probe: { width: 320, height: 240 } });
  });

  it('probes the file itself when there is no stored probe, or one that does not describe media', async () => {
    const probed = await prepareSources({ a: { kind: 'file', path: video }, b: { kind: 'file', path: video, probe: { streams: 'none' } as never } }, options());
    expect(probed.get('a')?.probe).toMatchObject({ width: 320, height: 240 });
    expect(probed.get('b')?.probe).toMatchObject({ width: 320, height: 240 });
    const missing = path.join(work.dir, 'missing.mp4');
    await fs.rm(missing, { force: true });
    const failure = await prepareSources({ s: { kind: 'file', path: missing } }, options()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(TaskFailure);
    expect((failure as TaskFailure).report.code).toBe('source_unreadable');
  });
});
