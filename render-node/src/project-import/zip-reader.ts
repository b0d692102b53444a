import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

/**
 * Reading an uploaded zip without trusting it (yauzl, which streams and reads the central
 * directory first). Before anything is extracted every entry is checked, and one bad entry
 * refuses the whole zip: a path that leaves the zip (`..`, absolute, a drive), a symbolic link,
 * encryption, a compression method other than stored and deflate, a name seen twice, more
 * entries than allowed, or sizes declared over the limits. While extracting, the bytes that
 * really come out are counted, not the sizes the zip declares: a file over its limit, a total
 * over the limit, or an entry that inflates more than `maxRatio` times its compressed size (a
 * zip bomb) stops the extraction and refuses the zip.
 */

export class ZipRefused extends Error {
  constructor(
    message: string,
    readonly code: 'unsafe_zip' | 'zip_too_large' | 'bad_zip',
  ) {
    super(message);
    this.name = 'ZipRefused';
  }
}

export interface ZipLimits {
  maxEntries: number;
  /** Uncompressed bytes of everything extracted together. */
  maxTotalBytes: number;
  /** Uncompressed bytes of one file. */
  maxFileBytes: number;
  /** Largest uncompressed / compressed ratio of one entry (past RATIO_FLOOR_BYTES). */
  maxRatio: number;
}

/** Small files may compress very well (a text file of spaces); the ratio is judged past this. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

export interface ZipEntryInfo {
  /** The path inside the zip, with `/` separators. */
  path: string;
  declaredBytes: number;
  compressedBytes: number;
  entry: yauzl.Entry;
}

export class ZipReader {
  private extractedBytes = 0;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    readonly entries: ZipEntryInfo[],
    private readonly limits: ZipLimits,
  ) {}

  /** Opens the zip at `file` and checks every entry; throws ZipRefused for the first bad one. */
  static async open(file: string, limits: ZipLimits): Promise<ZipReader> {
    let zip: yauzl.ZipFile;
    try {
      zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: false }, (error, opened) =>
          error ? reject(error) : resolve(opened),
        ),
      );
    } catch (error) {
      throw new ZipRefused(`not a zip file we can read: ${(error as Error).message}`, 'bad_zip');
    }
    try {
      if (zip.entryCount > limits.maxEntries) {
        throw new ZipRefused(`the zip holds ${zip.entryCount} entries, more than the ${limits.maxEntries} allowed`, 'zip_too_large');
      }
      const entries = await readEntries(zip, limits);
      return new ZipReader(zip, entries, limits);
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  /**
   * Writes an entry's bytes to `file`, counting what really comes out; `onBytes` hears of each
   * chunk. Refuses (and leaves no file) past a limit.
   */
  async extract(info: ZipEntryInfo, file: string, options: { signal: AbortSignal; onBytes?: (bytes: number) => void }): Promise<number> {
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      this.zip.openReadStream(info.entry, (error, opened) => (error ? reject(new ZipRefused(`${info.path}: ${error.message}`, 'bad_zip')) : resolve(opened))),
    );
    let produced = 0;
    const limits = this.limits;
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        produced += chunk.length;
        this.extractedBytes += chunk.length;
        if (produced > limits.maxFileBytes) {
          return callback(new ZipRefused(`${info.path} is larger than the ${limits.maxFileBytes} bytes one file may have`, 'zip_too_large'));
        }
        if (this.extractedBytes > limits.maxTotalBytes) {
          return callback(new ZipRefused(`the zip unpacks to more than the ${limits.maxTotalBytes} bytes allowed`, 'zip_too_large'));
        }
        if (produced > RATIO_FLOOR_BYTES && produced > limits.maxRatio * Math.max(1, info.compressedBytes)) {
          return callback(
            new ZipRefused(
              `${info.path} inflates more than ${limits.maxRatio} times its compressed size (${info.compressedBytes} bytes): a zip bomb is refused`,
              'zip_too_large',
            ),
          );
        }
        options.onBytes?.(chunk.length);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(stream, counter, fs.createWriteStream(file), { signal: options.signal });
    } catch (error) {
      await fs.promises.rm(file, { force: true });
      if (error instanceof ZipRefused || options.signal.aborted) throw error;
      // yauzl's own checks (a size that contradicts the header, a bad CRC, truncated data).
      throw new ZipRefused(`${info.path} is damaged: ${(error as Error).message}`, 'bad_zip');
    }
    return produced;
  }

  /** An entry's bytes as text, refusing more than `maxBytes`. */
  async readText(info: ZipEntryInfo, file: string, maxBytes: number, signal: AbortSignal): Promise<string> {
    if (info.declaredBytes > maxBytes) throw new ZipRefused(`${info.path} is larger than the ${maxBytes} bytes an edit list may have`, 'zip_too_large');
    const size = await this.extract(info, file, { signal });
    if (size > maxBytes) throw new ZipRefused(`${info.path} is larger than the ${maxBytes} bytes an edit list may have`, 'zip_too_large');
    const bytes = await fs.promises.readFile(file);
    await fs.promises.rm(file, { force: true });
    return bytes.toString('utf8');
  }

  close(): void {
    this.zip.close();
  }
}

function readEntries(zip: yauzl.ZipFile, limits: ZipLimits): Promise<ZipEntryInfo[]> {
  return new Promise((resolve, reject) => {
    const entries: ZipEntryInfo[] = [];
    const seen = new Set<string>();
    let declaredTotal = 0;
    const refuse = (error: Error) => {
      zip.removeAllListeners('entry');
      zip.removeAllListeners('end');
      reject(error);
    };
    zip.on('error', (error: Error) =>
      refuse(
        new ZipRefused(
          unsafeNameMessage(error.message) ?? `not a zip file we can read: ${error.message}`,
          unsafeNameMessage(error.message) ? 'unsafe_zip' : 'bad_zip',
        ),
      ),
    );
    zip.on('entry', (entry: yauzl.Entry) => {
      const path = entry.fileName;
      const problem = entryProblem(entry);
      if (problem) return refuse(new ZipRefused(`the zip holds an unsafe entry "${path}": ${problem}`, 'unsafe_zip'));
      if (seen.has(path)) return refuse(new ZipRefused(`the zip holds "${path}" twice`, 'unsafe_zip'));
      seen.add(path);
      if (!path.endsWith('/')) {
        if (entry.uncompressedSize > limits.maxFileBytes) {
          return refuse(new ZipRefused(`${path} is larger than the ${limits.maxFileBytes} bytes one file may have`, 'zip_too_large'));
        }
        declaredTotal += entry.uncompressedSize;
        if (declaredTotal > limits.maxTotalBytes)
          return refuse(new ZipRefused(`the zip unpacks to more than the ${limits.maxTotalBytes} bytes allowed`, 'zip_too_large'));
        entries.push({ path, declaredBytes: entry.uncompressedSize, compressedBytes: entry.compressedSize, entry });
      }
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.readEntry();
  });
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Why an entry may not be unpacked, or undefined when it may. */
export function entryProblem(
  entry: Pick<yauzl.Entry, 'fileName' | 'externalFileAttributes' | 'generalPurposeBitFlag' | 'compressionMethod'>,
): string | undefined {
  const nameProblem = unsafePathProblem(entry.fileName);
  if (nameProblem) return nameProblem;
  if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) return 'it is a symbolic link';
  if ((entry.generalPurposeBitFlag & 0x1) !== 0) return 'it is encrypted';
  if (!entry.fileName.endsWith('/') && entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return `its compression method ${entry.compressionMethod} is not stored (0) or deflate (8)`;
  }
  return undefined;
}

/** Whether a path inside a zip stays inside it. */
export function unsafePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'it has no name';
  if (path.includes('\0')) return 'its name holds a NUL character';
  if (path.startsWith('/') || path.startsWith('\\')) return 'it is an absolute path';
  if (/^[a-zA-Z]:/.test(path)) return 'it names a drive';
  if (path.split(/[\\/]/).includes('..')) return 'it climbs out of the zip with ".."';
  return undefined;
}

/** yauzl's own refusals of names, as our sentence. */
function unsafeNameMessage(message: string): string | undefined {
  const match = /^(absolute path|invalid relative path|invalid characters in fileName): (.*)$/.exec(message);
  if (!match) return undefined;
  const why =
    match[1] === 'absolute path'
      ? 'it is an absolute path'
      : match[1] === 'invalid relative path'
        ? 'it climbs out of the zip with ".."'
        : 'its name holds characters a path may not';
  return `the zip holds an unsafe entry "${match[2]}": ${why}`;
}
