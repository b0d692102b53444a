import type { CodecParameters } from './codec-parameters.js';

/**
 * Encoder settings for the partial GOPs: the source's codec, profile, level, pixel format and
 * colour description, so that a decoder goes from copied to re-encoded pictures and back
 * without noticing, at a quality high enough to be indistinguishable from the source (the
 * stretches are short, so their size hardly matters).
 */

export interface PieceEncoder {
  /** `libx264`, `libx265`. */
  name: string;
  args: string[];
  /** How far ahead of display order the encoder may put a picture (dts delay, in frames). */
  reorderDepth: number;
  /** NAL unit type of access unit delimiters, which the join removes (MPEG-TS adds them). */
  audType: number;
  /** ffmpeg's bitstream filter to Annex B, for copied packets going into MPEG-TS. */
  annexB: string;
  /**
   * Bitstream filters that drop, from a copy starting on an IDR picture, the pictures that
   * display before it: HEVC's RADL pictures, which belong to the re-encoded stretch before.
   * An H.264 IDR picture has none (nothing after it in decoding order is shown before it).
   */
  dropLeading: string[];
}

/**
 * Constant-quality settings that keep re-encoded frames above 45 dB PSNR even on heavy film
 * grain, at the fastest presets that do: the stretches are what a smart cut spends its time on,
 * and a low CRF, not the preset's search effort, is what keeps them transparent. Measured on
 * 720p testsrc2 with strong temporal noise (noise=alls=25:allf=t), lowest frame: x264 ultrafast
 * CRF 8 46.9 dB (veryfast CRF 8 46.6 dB, five times slower). x265 ultrafast CRF 4 reached
 * 47.1 dB there but only 43.1 dB on the small open-GOP source of the tests; superfast CRF 4
 * clears 45 dB on both (fast CRF 6, used before, is slower at the same quality).
 */
export const TRANSPARENT = { libx264: { preset: 'ultrafast', crf: 8 }, libx265: { preset: 'superfast', crf: 4 } } as const;

const x264Profiles: Record<string, string> = {
  Baseline: 'baseline',
  'Constrained Baseline': 'baseline',
  Main: 'main',
  High: 'high',
  'High 10': 'high10',
  'High 4:2:2': 'high422',
  'High 4:4:4 Predictive': 'high444',
};

const x265Profiles: Record<string, string> = {
  Main: 'main',
  'Main 10': 'main10',
};

function colourArgs(p: CodecParameters): string[] {
  const args: string[] = [];
  if (p.colorPrimaries) args.push('-color_primaries', p.colorPrimaries);
  if (p.colorTransfer) args.push('-color_trc', p.colorTransfer);
  if (p.colorSpace) args.push('-colorspace', p.colorSpace);
  if (p.colorRange) args.push('-color_range', p.colorRange);
  // "left" is what H.264 and HEVC assume when nothing is said.
  if (p.chromaLocation && p.chromaLocation !== 'left') args.push('-chroma_sample_location', p.chromaLocation);
  return args;
}

/**
 * The encoder for pieces of this stream, or why there is none. `threads`: each encoder's share
 * of the CPUs (stretches are encoded side by side, and with the sound and the copies).
 */
export function pieceEncoder(p: CodecParameters, gopFrames: number, threads = 0): PieceEncoder | { unsupported: string } {
  const gop = String(Math.max(1, Math.round(gopFrames)));
  const bFrames = p.reorderDepth === 0 ? 0 : 3;
  // One level of B-pyramid keeps pictures at most two ahead; none, one.
  const pyramid = p.reorderDepth >= 2;
  const reorderDepth = bFrames === 0 ? 0 : pyramid ? 2 : 1;
  if (!p.pixelFormat) return { unsupported: 'the pixel format is unknown' };
  if (p.codec === 'h264') {
    const profile = x264Profiles[p.profile ?? ''];
    if (!profile) return { unsupported: `H.264 profile ${p.profile ?? '(unknown)'} has no libx264 equivalent` };
    const baseline = profile === 'baseline';
    return {
      name: 'libx264',
      args: [
        '-c:v',
        'libx264',
        ...(threads > 0 ? ['-threads', String(threads)] : []),
        '-preset',
        TRANSPARENT.libx264.preset,
        '-crf',
        String(TRANSPARENT.libx264.crf),
        '-profile:v',
        profile,
        ...(p.level ? ['-level:v', (p.level / 10).toFixed(1)] : []),
        '-pix_fmt',
        p.pixelFormat,
        '-g',
        gop,
        '-bf',
        String(baseline ? 0 : bFrames),
        '-x264-params',
        `b-pyramid=${pyramid ? 'normal' : 'none'}`,
        ...colourArgs(p),
      ],
      reorderDepth: baseline ? 0 : reorderDepth,
      audType: 9,
      annexB: 'h264_mp4toannexb',
      dropLeading: [],
    };
  }
  if (p.codec === 'hevc') {
    const profile = x265Profiles[p.profile ?? ''];
    if (!profile) return { unsupported: `HEVC profile ${p.profile ?? '(unknown)'} has no libx265 equivalent here` };
    const params = [
      'log-level=error',
      ...(p.level ? [`level-idc=${(p.level / 30).toFixed(1)}`] : []),
      `keyint=${gop}`,
      'open-gop=0',
      `bframes=${bFrames}`,
      `b-pyramid=${pyramid ? 1 : 0}`,
      'repeat-headers=1',
    ];
    return {
      name: 'libx265',
      args: [
        '-c:v',
        'libx265',
        '-preset',
        TRANSPARENT.libx265.preset,
        '-crf',
        String(TRANSPARENT.libx265.crf),
        '-profile:v',
        profile,
        '-pix_fmt',
        p.pixelFormat,
        '-x265-params',
        params.join(':'),
        ...colourArgs(p),
      ],
      reorderDepth,
      audType: 35,
      annexB: 'hevc_mp4toannexb',
      // The first packet is the IDR picture: anything shown before it is a leading picture.
      dropLeading: ['noise=drop=lt(pts\\,startpts)'],
    };
  }
  return { unsupported: `${p.codec} sources are not smart-cut (H.264 and HEVC are)` };
}
