import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inspectPng, PngRejected } from './png-inspection.js';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/** A real RGBA PNG of the given size (transparent pixels), made the way an encoder does. */
function png(width: number, height: number, options: { colorType?: number; bitDepth?: number; palette?: boolean } = {}): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = options.bitDepth ?? 8;
  header[9] = options.colorType ?? 6;
  const rows = Buffer.alloc(Math.min(height, 64) * (1 + Math.min(width, 64) * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...(options.palette ? [chunk('PLTE', Buffer.from([0, 0, 0]))] : []),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const rejection = (bytes: Buffer) => {
  try {
    inspectPng(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(PngRejected);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('inspectPng', () => {
  it('accepts a well-formed PNG and reads its size', () => {
    expect(inspectPng(png(640, 360))).toEqual({ width: 640, height: 360 });
    expect(inspectPng(png(8192, 1, { colorType: 3, palette: true }))).toEqual({ width: 8192, height: 1 });
  });

  it('says why other bytes are refused', () => {
    expect(rejection(Buffer.from('GIF89a not a png at all'))).toMatch(/signature/);
    expect(rejection(Buffer.alloc(0))).toMatch(/signature/);
    const good = png(10, 10);
    expect(rejection(good.subarray(0, good.length - 6))).toMatch(/runs past the end|ends before/);
    const corrupt = Buffer.from(good);
    corrupt[20] = corrupt[20]! ^ 0xff; // inside IHDR: the width
    expect(rejection(corrupt)).toMatch(/CRC/);
    expect(rejection(Buffer.concat([good, Buffer.from('trailer')]))).toMatch(/follows the IEND/);
    expect(rejection(png(8193, 10))).toMatch(/at most 8192 pixels/);
    expect(rejection(png(0, 10))).toMatch(/width or height is 0/);
    expect(rejection(png(10, 10, { colorType: 2, bitDepth: 4 }))).toMatch(/colour type 2 with bit depth 4/);
    expect(rejection(png(10, 10, { colorType: 3 }))).toMatch(/without PLTE/);
    const noData = Buffer.concat([good.subarray(0, 33), chunk('IEND', Buffer.alloc(0))]);
    expect(rejection(noData)).toMatch(/no image data/);
  });
});
