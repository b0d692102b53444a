import yazl from 'yazl';

/**
 * Zips for tests, made with yazl, including the kinds no honest tool writes: a name is given
 * with a placeholder (yazl refuses `..` and absolute paths) and `rename` swaps the bytes of the
 * placeholder for the hostile name in every header; `declareSize` rewrites an entry's
 * uncompressed size in the central directory, as a zip that lies about it would.
 */

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** Deflate (default) or store. */
  compress?: boolean;
  /** Unix mode, e.g. 0o120777 for a symbolic link. */
  mode?: number;
}

export function makeZip(entries: ZipEntrySpec[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
    zip.addBuffer(data, entry.name, { compress: entry.compress ?? true, ...(entry.mode !== undefined ? { mode: entry.mode } : {}), mtime: new Date(0) });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** Replaces every occurrence of `placeholder` (same byte length as `name`) in the zip's headers. */
export function rename(zip: Buffer, placeholder: string, name: string): Buffer {
  if (Buffer.byteLength(placeholder) !== Buffer.byteLength(name)) throw new Error('the placeholder and the name must have the same length');
  const out = Buffer.from(zip);
  const from = Buffer.from(placeholder);
  for (let at = out.indexOf(from); at !== -1; at = out.indexOf(from, at + 1)) Buffer.from(name).copy(out, at);
  return out;
}

/** Rewrites the uncompressed size the central directory declares for an entry. */
export function declareSize(zip: Buffer, name: string, sizeBytes: number): Buffer {
  const out = Buffer.from(zip);
  for (let at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at !== -1; at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
    const nameLength = out.readUInt16LE(at + 28);
    if (out.subarray(at + 46, at + 46 + nameLength).toString() === name) out.writeUInt32LE(sizeBytes, at + 24);
  }
  return out;
}
