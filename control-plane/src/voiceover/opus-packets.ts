/**
 * What the recorder needs to know of an Opus packet without decoding it: how many samples
 * (at 48 kHz) it carries, read from its TOC byte (RFC 6716, section 3.1), and a packet of
 * silence to fill gaps with.
 */

/** Samples at 48 kHz per frame, by the TOC's configuration number (SILK, hybrid, CELT). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3]!;
  if (config < 16) return [480, 960][config & 1]!;
  return [120, 240, 480, 960][config & 3]!;
}

/** The most one packet may carry: 120 ms. */
const MAX_PACKET_SAMPLES = 5760;

/** Samples at 48 kHz this packet decodes to; 0 for a packet that is not valid Opus. */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 1 || code === 2) frames = 2;
  else {
    if (packet.length < 2) return 0;
    frames = packet[1]! & 0x3f;
  }
  const samples = frameSamples(toc >> 3) * frames;
  return samples === 0 || samples > MAX_PACKET_SAMPLES ? 0 : samples;
}

export const OPUS_SAMPLE_RATE = 48_000;

/** 20 ms of digital silence: one CELT full-band mono frame (TOC 0xF8) that decodes to zeros. */
export const OPUS_SILENCE_PACKET: Buffer = Buffer.from([0xf8, 0xff, 0xfe]);
export const OPUS_SILENCE_SAMPLES = 960;
