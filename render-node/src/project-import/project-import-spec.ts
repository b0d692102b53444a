import type { Rational } from '../ffmpeg/media-info.js';
import type { EditList } from '../edit-lists/edit-list.js';
import type { UploadPart } from '../net/join-parts.js';

/**
 * The `project_import` task (unpack a project zip): what the control plane keeps, the work
 * order, and what it answers.
 */

/** The `spec` of the task row: the import session, whose chunks are signed when a node asks. */
export interface StoredProjectImportSpec {
  importId: string;
}

export interface ProjectImportSpec {
  /** The uploaded zip: its chunks in order. */
  source: { parts: UploadPart[]; sizeBytes: number };
  /** The timeline rate the import was created with; CMX 3600 lists need it. */
  rate?: Rational;
  limits: {
    maxEntries: number;
    /** Uncompressed bytes of all files extracted together. */
    maxTotalBytes: number;
    maxFileBytes: number;
    /** Largest uncompressed / compressed ratio of one entry. */
    maxRatio: number;
    /** The unpack gives up after this long. */
    timeoutS: number;
  };
  /** Extensions (lower case, no dot) of the media files to take. */
  mediaExtensions: string[];
  /** Signed PUT URLs, one per media file found, in the order found. */
  slots: string[];
}

/** What the import needs to know of a media file to place the list's events in it. */
export interface ImportedFileProbe {
  durationHns: number;
  hasVideo: boolean;
  hasAudio: boolean;
  still: boolean;
  /** The file's start timecode (a `tmcd` track or `timecode` tag), when it has one. */
  startTimecode?: string;
  frameRate?: Rational;
}

export interface ProjectImportResult {
  [key: string]: unknown;
  editList: { path: string; list: EditList };
  /** Media files stored in their slots. */
  media: Array<{ path: string; name: string; slot: number; sizeBytes: number; probe: ImportedFileProbe }>;
  /** Files with a media extension that ffprobe cannot read: not imported. */
  unreadable: Array<{ path: string; reason: string }>;
  /** Other files of the zip, left alone. */
  ignored: string[];
}
