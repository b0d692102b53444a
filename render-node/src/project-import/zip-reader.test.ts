import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/lavfi-media.js';
import { declareSize, makeZip, rename } from '../test-support/zip-files.js';
import { ZipReader, ZipRefused, type ZipLimits } from './zip-reader.js';

const limits: ZipLimits = { maxEntries: 10, maxTotalBytes: 8 * 1024 * 1024, maxFileBytes: 4 * 1024 * 1024, maxRatio: 100 };
const signal = new AbortController().signal;

let work: { dir: string; remove: () => Promise<void> };
let counter = 0;
beforeAll(async () => {
  work = await tempDir('cutroom-zip-');
});
afterAll(async () => work.remove());

async function write(zip: Buffer): Promise<string> {
  const file = path.join(work.dir, `test-${(counter += 1)}.zip`);
  await fs.writeFile(file, zip);
  return file;
}

/** Opens a zip and extracts every entry; answers the refusal, if any. */
async function refusal(zip: Buffer, zipLimits = limits): Promise<ZipRefused | undefined> {
  try {
    const reader = await ZipReader.open(await write(zip), zipLimits);
    try {
      for (const entry of reader.entries) await reader.extract(entry, path.join(work.dir, 'out'), { signal });
    } finally {
      reader.close();
    }
    return undefined;
  } catch (error) {
    if (error instanceof ZipRefused) return error;
    throw error;
  }
}

/** Bytes that do not compress. */
const random = (n: number) => crypto.randomBytes(n);

describe('reading an uploaded zip', () => {
  it('lists and extracts an honest zip, stored and deflated, in folders', async () => {
    const zip = await makeZip([
      { name: 'project/cut.edl', data: 'TITLE: x\n' },
      { name: 'project/media/a.mov', data: Buffer.alloc(3000, 7), compress: false },
    ]);
    const reader = await ZipReader.open(await write(zip), limits);
    expect(reader.entries.map((e) => [e.path, e.declaredBytes])).toEqual([
      ['project/cut.edl', 9],
      ['project/media/a.mov', 3000],
    ]);
    const out = path.join(work.dir, 'a.mov');
    expect(await reader.extract(reader.entries[1]!, out, { signal })).toBe(3000);
    expect(await fs.readFile(out)).toEqual(Buffer.alloc(3000, 7));
    reader.close();
  });

  it('refuses a zip with an entry that climbs out with ".."', async () => {
    const zip = rename(
      await makeZip([
        { name: 'ok.edl', data: 'x' },
        { name: 'xx/xx/evil.sh', data: 'x' },
      ]),
      'xx/xx/evil.sh',
      '../../evil.sh',
    );
    const refused = await refusal(zip);
    expect(refused?.code).toBe('unsafe_zip');
    expect(refused?.message).toBe('the zip holds an unsafe entry "../../evil.sh": it climbs out of the zip with ".."');
  });

  it('refuses absolute paths and Windows paths that climb out', async () => {
    const absolute = rename(await makeZip([{ name: 'Xetc/passwd', data: 'x' }]), 'Xetc/passwd', '/etc/passwd');
    expect((await refusal(absolute))?.message).toBe('the zip holds an unsafe entry "/etc/passwd": it is an absolute path');
    const windows = rename(await makeZip([{ name: 'a/xx/b.txt', data: 'x' }]), 'a/xx/b.txt', 'a\\..\\b.txt');
    expect((await refusal(windows))?.code).toBe('unsafe_zip');
  });

  it('refuses a symbolic link', async () => {
    const zip = await makeZip([{ name: 'media/link.mov', data: '/etc/shadow', mode: 0o120777 }]);
    expect((await refusal(zip))?.message).toBe('the zip holds an unsafe entry "media/link.mov": it is a symbolic link');
  });

  it('refuses a zip bomb by its compression ratio, and by the total it unpacks to', async () => {
    // 2 MB of zeros deflate to a few kilobytes: far past 100 times.
    const bomb = await makeZip([{ name: 'zeros.mov', data: Buffer.alloc(2 * 1024 * 1024) }]);
    const byRatio = await refusal(bomb, { ...limits, maxFileBytes: 64 * 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 });
    expect(byRatio?.code).toBe('zip_too_large');
    expect(byRatio?.message).toMatch(/^zeros.mov inflates more than 100 times its compressed size \(\d+ bytes\): a zip bomb is refused$/);
    // Many files under every other limit add up past the total.
    const many = await makeZip([1, 2, 3].map((i) => ({ name: `part${i}.mov`, data: random(3 * 1024 * 1024), compress: false })));
    expect((await refusal(many))?.message).toBe(`the zip unpacks to more than the ${limits.maxTotalBytes} bytes allowed`);
  });

  it('does not trust the sizes a zip declares', async () => {
    const honest = await makeZip([{ name: 'big.mov', data: random(5 * 1024 * 1024) }]);
    expect((await refusal(honest))?.message).toBe(`big.mov is larger than the ${limits.maxFileBytes} bytes one file may have`);
    // The same zip claiming 100 bytes: caught as its bytes come out.
    const lying = declareSize(honest, 'big.mov', 100);
    const refused = await refusal(lying);
    expect(refused?.code).toMatch(/^(bad_zip|zip_too_large)$/);
    expect(refused?.message).toMatch(/^big.mov (is damaged|is larger)/);
  });

  it('refuses too many entries, a name twice, and a truncated zip', async () => {
    const crowded = await makeZip(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' })));
    expect((await refusal(crowded))?.message).toBe('the zip holds 11 entries, more than the 10 allowed');
    const twice = rename(
      await makeZip([
        { name: 'a.mov', data: 'x' },
        { name: 'b.mov', data: 'y' },
      ]),
      'b.mov',
      'a.mov',
    );
    expect((await refusal(twice))?.message).toBe('the zip holds "a.mov" twice');
    const whole = await makeZip([
      { name: 'cut.edl', data: 'TITLE: x\n'.repeat(100) },
      { name: 'a.mov', data: Buffer.alloc(10_000, 3) },
    ]);
    const truncated = await refusal(whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(truncated?.code).toBe('bad_zip');
    expect(truncated?.message).toMatch(/^not a zip file we can read: /);
  });
});
