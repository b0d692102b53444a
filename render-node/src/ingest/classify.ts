import type { FfprobeResult, FfprobeStream } from '../ffmpeg/index.js';
import { mediaInfoFromProbe } from '../ffmpeg/index.js';
import { pictureStream } from '../ffmpeg/media-info.js';

/**
 * What a probed file is, in the editor API's terms (filetype, mediaType, duration in 100 ns, size,
 * audio track names), and whether a browser can play it as it is or needs a proxy.
 */

export interface Classification {
  filetype: string;
  mediaType: 'video' | 'audio' | 'image';
  durationHns: number;
  width: number;
  height: number;
  audioTracks: string[];
  /** Empty when a browser plays the file as it is; otherwise why a proxy is made. */
  proxyReasons: string[];
}

export class UnsupportedMedia extends Error {}

const browserVideoInMp4 = new Set(['h264']);
const browserVideoInWebm = new Set(['vp8', 'vp9', 'av1']);
const browserAudio = new Set(['aac', 'mp3', 'opus', 'vorbis', 'flac']);
const browserImages = new Set(['png', 'mjpeg', 'gif', 'webp']);
const progressive = new Set([undefined, 'progressive', 'unknown']);

export function classify(probe: FfprobeResult, fileName: string): Classification {
  const streams = probe.streams.filter((s) => s.codec_type === 'video' || s.codec_type === 'audio');
  if (streams.length === 0) throw new UnsupportedMedia('the file has no video or audio stream');
  const info = mediaInfoFromProbe(probe);
  const format = probe.format.format_name;
  const extension = (/\.([a-z0-9]{1,5})$/i.exec(fileName)?.[1] ?? '').toLowerCase();
  const audioStreams = probe.streams.filter((s) => s.codec_type === 'audio');
  const video = pictureStream(probe);

  const proxyReasons: string[] = [];
  const container = containerOf(format, extension, info.kind);
  if (info.kind === 'image') {
    if (!browserImages.has(video?.codec_name ?? '')) proxyReasons.push(`${video?.codec_name} images do not show in browsers`);
  } else {
    const webm = container === 'webm';
    if (!['mp4', 'mov', 'm4a', 'webm', 'mp3', 'wav', 'ogg', 'flac'].includes(container)) {
      proxyReasons.push(`${container} does not play in browsers`);
    }
    if (video) {
      const codecs = webm ? browserVideoInWebm : browserVideoInMp4;
      if (!codecs.has(video.codec_name ?? '')) proxyReasons.push(`${video.codec_name} video does not play in browsers`);
      if (video.pix_fmt !== undefined && !['yuv420p', 'yuvj420p'].includes(video.pix_fmt)) {
        proxyReasons.push(`${video.pix_fmt} pictures do not play in browsers`);
      }
      if (!progressive.has(video.field_order)) proxyReasons.push('interlaced video');
    }
    for (const audio of audioStreams) {
      const ok = browserAudio.has(audio.codec_name ?? '') || (container === 'wav' && audio.codec_name?.startsWith('pcm_'));
      if (!ok) proxyReasons.push(`${audio.codec_name} audio does not play in browsers`);
    }
  }

  // The size as shown: players, ffmpeg's decoder and so the proxy and thumbnails all apply a display rotation.
  const quarterTurned = video !== undefined && Math.abs(rotationOf(video)) % 180 === 90;
  return {
    filetype: container,
    mediaType: info.kind,
    durationHns: info.durationHns ?? 0,
    width: (quarterTurned ? info.height : info.width) ?? 0,
    height: (quarterTurned ? info.width : info.height) ?? 0,
    audioTracks: audioStreams.map(trackName),
    proxyReasons: [...new Set(proxyReasons)],
  };
}

/** Degrees of the display rotation: the display matrix, or the `rotate` tag older ffprobes report. */
function rotationOf(stream: FfprobeStream): number {
  const matrix = stream.side_data_list?.find((side) => typeof side.rotation === 'number');
  return Math.round(matrix?.rotation ?? Number(stream.tags?.rotate ?? 0)) || 0;
}

function trackName(stream: FfprobeStream, index: number): string {
  const tags = stream.tags ?? {};
  const generic = /^(SoundHandler|Sound Media Handler|Core Media Audio|GPAC ISO Audio Handler)$/i;
  const handler = tags.handler_name && !generic.test(tags.handler_name) ? tags.handler_name : undefined;
  return tags.title ?? handler ?? (tags.language && tags.language !== 'und' ? `Track ${index + 1} (${tags.language})` : `Track ${index + 1}`);
}

/** The editor API's filetype names where they exist (mp4, mov, mp3, png, m4a, jpg, mxf, webm), else the container's. */
function containerOf(format: string, extension: string, kind: string): string {
  const names = format.split(',');
  if (names.includes('mp4') || names.includes('mov')) {
    if (kind === 'audio') return 'm4a';
    return extension === 'mov' || extension === 'qt' ? 'mov' : 'mp4';
  }
  if (names.includes('webm') || names.includes('matroska')) return extension === 'mkv' ? 'mkv' : 'webm';
  const known: Record<string, string> = {
    mxf: 'mxf',
    mp3: 'mp3',
    wav: 'wav',
    png_pipe: 'png',
    jpeg_pipe: 'jpg',
    mpegts: 'ts',
    mpeg: 'mpg',
    avi: 'avi',
    ogg: 'ogg',
    flac: 'flac',
    gif: 'gif',
    webp_pipe: 'webp',
    bmp_pipe: 'bmp',
    tiff_pipe: 'tiff',
    aac: 'aac',
  };
  for (const name of names) if (known[name]) return known[name]!;
  if (names.includes('image2')) return extension === 'jpeg' ? 'jpg' : extension || 'image';
  return extension || names[0]!;
}
