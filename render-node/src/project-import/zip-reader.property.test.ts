import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeZip } from '../test-support/zip-files.js';
import { ZipReader, ZipRefused } from './zip-reader.js';

/**
 * Property of the zip reader: an uploaded zip with any bytes changed either opens and extracts
 * within the limits, or is refused with ZipRefused, never another exception and never a file
 * outside the extraction folder or over the limits.
 */
const runs = Number(process.env.FC_RUNS ?? 200);
const limits = { maxEntries: 20, maxTotalBytes: 256 * 1024, maxFileBytes: 128 * 1024, maxRatio: 50 };

describe('zip reader', () => {
  let dir: string;
  let zip: Buffer;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-zip-prop-'));
    zip = await makeZip([
      { name: 'cut.edl', data: 'TITLE: x\nFCM: NON-DROP FRAME\n\n001  AX V C 00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\n' },
      { name: 'media/a.mp4', data: Buffer.alloc(20_000, 7) },
      { name: 'media/b.wav', data: Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251)), compress: false },
    ]);
  });
  afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

  const corruptions = fc.array(fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0xff, 0x2e, 0x2f))), {
    minLength: 1,
    maxLength: 8,
  });

  it('extracts or refuses a zip with bytes changed anywhere, within the limits', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(corruptions, fc.boolean(), async (changes, truncate) => {
        let bytes = Buffer.from(zip);
        for (const [at, value] of changes) bytes[at % bytes.length] = value;
        if (truncate) bytes = bytes.subarray(0, changes[0]![0] % bytes.length);
        const out = path.join(dir, `run-${run++}`);
        await fs.mkdir(out);
        const file = path.join(out, 'upload.zip');
        await fs.writeFile(file, bytes);
        let reader: ZipReader | undefined;
        try {
          reader = await ZipReader.open(file, limits);
          let total = 0;
          for (const [i, entry] of reader.entries.entries()) {
            const written = await reader.extract(entry, path.join(out, `entry-${i}`), { signal: new AbortController().signal });
            expect(written).toBeLessThanOrEqual(limits.maxFileBytes);
            total += written;
          }
          expect(total).toBeLessThanOrEqual(limits.maxTotalBytes);
        } catch (error) {
          if (!(error instanceof ZipRefused)) throw error;
        } finally {
          reader?.close();
        }
        // Nothing was written outside its folder.
        expect((await fs.readdir(dir)).every((name) => name.startsWith('run-'))).toBe(true);
        await fs.rm(out, { recursive: true, force: true });
      }),
      { numRuns: runs },
    );
  });
});
