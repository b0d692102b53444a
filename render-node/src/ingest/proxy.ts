import type { Classification } from './classify.js';

/**
 * ffmpeg arguments for a browser-playable proxy: H.264 (8-bit 4:2:0, deinterlaced, at most
 * 1080p) with AAC in a fast-start MP4; audio alone becomes AAC in M4A; a still image PNG.
 */
export interface ProxyPlan {
  args: string[];
  contentType: string;
  extension: 'mp4' | 'm4a' | 'png';
}

export function planProxy(input: string, output: string, media: Classification): ProxyPlan {
  if (media.mediaType === 'image') {
    return { args: ['-i', input, '-frames:v', '1', '-c:v', 'png', '-f', 'image2', '-y', output], contentType: 'image/png', extension: 'png' };
  }
  if (media.mediaType === 'audio') {
    return {
      args: ['-i', input, '-map', '0:a', '-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart', '-f', 'ipod', '-y', output],
      contentType: 'audio/mp4',
      extension: 'm4a',
    };
  }
  const filters = [
    'yadif=deint=interlaced',
    "scale=w='min(iw,1920)':h='min(ih,1080)':force_original_aspect_ratio=decrease:force_divisible_by=2",
    'format=yuv420p',
  ];
  return {
    args: [
      '-i',
      input,
      '-map',
      '0:v:0',
      '-map',
      '0:a?',
      '-vf',
      filters.join(','),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '22',
      '-profile:v',
      'high',
      '-c:a',
      'aac',
      '-b:a',
      '160k',
      '-ac',
      '2',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '-y',
      output,
    ],
    contentType: 'video/mp4',
    extension: 'mp4',
  };
}
