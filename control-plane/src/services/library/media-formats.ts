import { extensionOf } from '../../storage/content-types.js';
import type { MediaType } from '../../db/schema.js';

/**
 * Media a user may bring, by file extension: the `filetype` and `mediaType` the library shows
 * before a probe has looked inside (ingest corrects them from the actual streams).
 */
const formats: Record<string, MediaType> = {
  mp4: 'video',
  m4v: 'video',
  mov: 'video',
  mxf: 'video',
  webm: 'video',
  mkv: 'video',
  avi: 'video',
  wmv: 'video',
  flv: 'video',
  '3gp': 'video',
  mpg: 'video',
  mpeg: 'video',
  ts: 'video',
  mts: 'video',
  m2ts: 'video',
  mp3: 'audio',
  m4a: 'audio',
  aac: 'audio',
  wav: 'audio',
  ogg: 'audio',
  oga: 'audio',
  opus: 'audio',
  flac: 'audio',
  wma: 'audio',
  png: 'image',
  jpg: 'image',
  jpeg: 'image',
  gif: 'image',
  webp: 'image',
  bmp: 'image',
  tif: 'image',
  tiff: 'image',
};

/** Spellings folded into the editor API's (`jpg`, not `jpeg`). */
const canonical: Record<string, string> = { jpeg: 'jpg', tif: 'tiff' };

export interface MediaFormat {
  filetype: string;
  mediaType: MediaType;
}

/** The format a file name announces, or undefined when it is not media the library takes. */
export function mediaFormatOf(fileName: string): MediaFormat | undefined {
  const extension = extensionOf(fileName);
  const mediaType = formats[extension];
  return mediaType ? { filetype: canonical[extension] ?? extension, mediaType } : undefined;
}

/** Every extension the library takes (lower case, no dot). */
export function mediaExtensions(): string[] {
  return Object.keys(formats);
}
