import { crc32 } from 'node:zlib';

/**
 * Checks that bytes are a well-formed PNG before they are kept and handed to ffmpeg: the
 * signature, an IHDR with sane dimensions and a valid format, every chunk whole with a correct
 * CRC, image data present, and IEND last. Pixel data is not decoded.
 */

export interface PngInfo {
  width: number;
  height: number;
}

/** Why bytes are not an acceptable PNG; the message is shown to the client. */
export class PngRejected extends Error {}

/** Largest width or height accepted: an 8K frame. A tiny file can declare a huge canvas. */
export const PNG_MAX_SIDE_PX = 8192;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Bit depths allowed for each colour type (PNG specification, table 11.1). */
const bitDepths: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

export function inspectPng(bytes: Buffer): PngInfo {
  if (bytes.length < SIGNATURE.length || !bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
    throw new PngRejected('not a PNG image: the PNG signature is missing');
  }
  let offset = SIGNATURE.length;
  let info: PngInfo | undefined;
  let colorType = -1;
  let sawPalette = false;
  let sawData = false;
  for (let index = 0; ; index++) {
    if (offset + 12 > bytes.length) throw new PngRejected('not a complete PNG image: it ends before its IEND chunk');
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const dataStart = offset + 8;
    const dataEnd = dataStart + length;
    if (length > 0x7fffffff || dataEnd + 4 > bytes.length) {
      throw new PngRejected(`not a complete PNG image: chunk ${JSON.stringify(type)} runs past the end`);
    }
    const crc = bytes.readUInt32BE(dataEnd);
    if (crc32(bytes.subarray(offset + 4, dataEnd)) !== crc) {
      throw new PngRejected(`corrupt PNG image: chunk ${JSON.stringify(type)} fails its CRC check`);
    }
    if (index === 0) {
      if (type !== 'IHDR' || length !== 13) throw new PngRejected('not a valid PNG image: it does not start with an IHDR chunk');
      info = readHeader(bytes.subarray(dataStart, dataEnd));
      colorType = bytes[dataStart + 9]!;
    } else if (type === 'IHDR') {
      throw new PngRejected('not a valid PNG image: more than one IHDR chunk');
    } else if (type === 'PLTE') {
      sawPalette = true;
    } else if (type === 'IDAT') {
      if (colorType === 3 && !sawPalette) throw new PngRejected('not a valid PNG image: a palette image without PLTE');
      sawData = true;
    } else if (type === 'IEND') {
      if (!sawData) throw new PngRejected('not a valid PNG image: no image data (IDAT)');
      if (dataEnd + 4 !== bytes.length) throw new PngRejected('not a valid PNG image: data follows the IEND chunk');
      return info!;
    }
    offset = dataEnd + 4;
  }
}

function readHeader(header: Buffer): PngInfo {
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [bitDepth, colorType, compression, filter, interlace] = [header[8]!, header[9]!, header[10]!, header[11]!, header[12]!];
  if (width === 0 || height === 0) throw new PngRejected('not a valid PNG image: its width or height is 0');
  if (width > PNG_MAX_SIDE_PX || height > PNG_MAX_SIDE_PX) {
    throw new PngRejected(`the image is ${width}x${height}: width and height must be at most ${PNG_MAX_SIDE_PX} pixels`);
  }
  if (!bitDepths[colorType]?.includes(bitDepth)) {
    throw new PngRejected(`not a valid PNG image: colour type ${colorType} with bit depth ${bitDepth}`);
  }
  if (compression !== 0 || filter !== 0 || interlace > 1) {
    throw new PngRejected('not a valid PNG image: unknown compression, filter or interlace method');
  }
  return { width, height };
}
