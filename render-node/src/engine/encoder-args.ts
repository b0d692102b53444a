import type { Quality } from '../xtl/model.js';
import type { OutputSettings } from './output-settings.js';

/** Encoder and muxer arguments for an output, in software or on an NVIDIA GPU (NVENC). */

const x264: Record<Quality, string[]> = {
  low: ['-preset', 'veryfast', '-crf', '28'],
  medium: ['-preset', 'fast', '-crf', '22'],
  high: ['-preset', 'medium', '-crf', '18'],
  lossless: ['-preset', 'veryfast', '-qp', '0'],
};
const x265: Record<Quality, string[]> = {
  low: ['-preset', 'veryfast', '-crf', '32'],
  medium: ['-preset', 'fast', '-crf', '27'],
  high: ['-preset', 'medium', '-crf', '22'],
  lossless: ['-preset', 'veryfast', '-x265-params', 'lossless=1'],
};
const vp9: Record<Quality, string[]> = {
  low: ['-crf', '40', '-b:v', '0', '-deadline', 'realtime', '-cpu-used', '8'],
  medium: ['-crf', '33', '-b:v', '0', '-deadline', 'good', '-cpu-used', '4'],
  high: ['-crf', '27', '-b:v', '0', '-deadline', 'good', '-cpu-used', '2'],
  lossless: ['-lossless', '1', '-deadline', 'realtime', '-cpu-used', '8'],
};
const nvenc: Record<Quality, string[]> = {
  low: ['-preset', 'p3', '-rc', 'vbr', '-cq', '30', '-b:v', '0'],
  medium: ['-preset', 'p4', '-rc', 'vbr', '-cq', '24', '-b:v', '0'],
  high: ['-preset', 'p6', '-rc', 'vbr', '-cq', '19', '-b:v', '0'],
  lossless: ['-preset', 'p7', '-tune', 'lossless'],
};
const audioBitrates: Record<Quality, { aac: string; opus: string; mp3: string }> = {
  low: { aac: '96k', opus: '64k', mp3: '128k' },
  medium: { aac: '160k', opus: '128k', mp3: '192k' },
  high: { aac: '256k', opus: '192k', mp3: '256k' },
  lossless: { aac: '320k', opus: '256k', mp3: '320k' },
};

/** What the task's log says when NVENC failed and the render was encoded in software (counted as a metric). */
export function gpuFallbackNote(encoder: string): string {
  return `${encoder} failed; encoding in software`;
}

/** How many GPU fallbacks a task's log records. */
export function countGpuFallbacks(log: readonly string[]): number {
  return log.filter((line) => /\b\w+_nvenc failed; encoding in software$/.test(line)).length;
}

/** Whether an output's codec has an NVENC encoder: only those renders are worth a GPU node. */
export function hasGpuEncoder(settings: Pick<OutputSettings, 'hasVideo' | 'videoCodec'>): boolean {
  return settings.hasVideo && (settings.videoCodec === 'h264' || settings.videoCodec === 'hevc');
}

/** The GPU encoder for the output's codec, if NVENC has one. */
export function gpuEncoderFor(settings: OutputSettings): string | undefined {
  if (settings.videoCodec === 'h264') return 'h264_nvenc';
  if (settings.videoCodec === 'hevc') return 'hevc_nvenc';
  return undefined;
}

export function videoEncoderArgs(settings: OutputSettings, gpu: boolean): string[] {
  const q = settings.quality;
  const appleTag = settings.videoCodec === 'hevc' && settings.container !== 'webm' ? ['-tag:v', 'hvc1'] : [];
  if (gpu && gpuEncoderFor(settings)) {
    return ['-c:v', gpuEncoderFor(settings)!, ...nvenc[q], '-pix_fmt', 'yuv420p', ...appleTag];
  }
  switch (settings.videoCodec) {
    case 'h264':
      return ['-c:v', 'libx264', ...x264[q], '-pix_fmt', 'yuv420p'];
    case 'hevc':
      return ['-c:v', 'libx265', ...x265[q], '-pix_fmt', 'yuv420p', ...appleTag];
    case 'vp9':
      return ['-c:v', 'libvpx-vp9', ...vp9[q], '-row-mt', '1', '-pix_fmt', 'yuv420p'];
  }
}

export function audioEncoderArgs(settings: OutputSettings): string[] {
  const rates = audioBitrates[settings.quality];
  const common = ['-ar', String(settings.sampleRate), '-ac', '2'];
  switch (settings.audioCodec) {
    case 'aac':
      return ['-c:a', 'aac', '-b:a', rates.aac, ...common];
    case 'opus':
      return ['-c:a', 'libopus', '-b:a', rates.opus, ...common];
    case 'mp3':
      return ['-c:a', 'libmp3lame', '-b:a', rates.mp3, ...common];
    case 'pcm':
      return ['-c:a', 'pcm_s16le', ...common];
  }
}

const muxers = { mp4: 'mp4', mov: 'mov', webm: 'webm', mp3: 'mp3', m4a: 'mp4', wav: 'wav' } as const;

export function muxerArgs(settings: OutputSettings): string[] {
  // faststart: browsers can start playing before the whole file has arrived.
  const faststart = settings.container === 'mp4' || settings.container === 'mov' || settings.container === 'm4a' ? ['-movflags', '+faststart'] : [];
  return [...faststart, '-f', muxers[settings.container]];
}

/**
 * Muxer arguments that put the index (moov) at the front without faststart's second pass over
 * the whole file: room for it is reserved ahead of the media, sized from the number of packets
 * (a generous bound; what is left becomes a `free` box). Only for MP4/MOV; should the room be too
 * small, the muxer fails and the caller runs `muxerArgs` instead.
 */
export function reservedIndexMuxerArgs(settings: OutputSettings, videoPackets: number, durationS: number): string[] | undefined {
  if (settings.container !== 'mp4' && settings.container !== 'mov') return undefined;
  // Per packet at most: size (4), time and composition offset (8 + 8), chunk offset (8), sync flag (4).
  const audioPackets = settings.hasAudio ? Math.ceil((durationS * settings.sampleRate) / 1024) + Math.ceil(durationS * 50) : 0;
  const bytes = Math.ceil(16384 + 1.25 * 32 * (videoPackets + audioPackets));
  return ['-moov_size', String(bytes), '-f', muxers[settings.container]];
}
