import type { Kysely } from 'kysely';
import { checkOutboundUrl, OutboundRefused, XtlError, type MediaInfo, type ResolvedSource, type XtlDocument } from '@cutroom/render-node';
import type { DB, MediaStatus } from '../../db/schema.js';
import { MediaRepository, type MediaRow } from '../../db/media-repository.js';
import { UsersRepository } from '../../db/users-repository.js';
import { HttpError, badRequest } from '../../http/errors.js';
import { DeveloperMediaError, fetchDeveloperFile, type DevMediaFileEntry } from '../../integrator-systems/developer-media.js';
import type { OverlayImagesService } from '../projects/overlay-images.js';
import type { SourceRef } from './render-task-spec.js';

/**
 * Resolves every `src` of an XTL document for a user at submission, before anything is made:
 * the user's own media or shared media (by id), then the user's overlay images, then (for users
 * of a developer with a fetchFileUrl) the developer's files. Each source also gets what its entry
 * says about it (kind, duration, size), so the timeline can be checked against its sources
 * without reading them; the render node probes the real files again.
 */

export interface SubmittedSource extends ResolvedSource {
  ref: SourceRef;
}

export interface RenderUser {
  id: string;
  developerId: string | null;
}

export interface RenderSourcesOptions {
  fetchFileTimeoutMs: number;
  /** ALLOW_PRIVATE_URLS: previewUrls on private addresses may be downloaded. */
  allowPrivateUrls: boolean;
}

/** Developer files are asked for a few at a time. */
const PARALLEL_LOOKUPS = 4;
/** Different sources one document may name: bounds the lookups (and developer requests) one submission makes. */
export const MAX_SOURCES = 1000;

export class RenderSources {
  private readonly mediaRows: MediaRepository;
  private readonly users: UsersRepository;

  constructor(
    db: Kysely<DB>,
    private readonly overlays: OverlayImagesService,
    private readonly options: RenderSourcesOptions,
  ) {
    this.mediaRows = new MediaRepository(db);
    this.users = new UsersRepository(db);
  }

  async resolve(user: RenderUser, doc: XtlDocument): Promise<Map<string, SubmittedSource>> {
    const lineOf = new Map<string, number>();
    for (const group of doc.groups)
      for (const track of group.tracks) for (const clip of track.clips) if (!lineOf.has(clip.src)) lineOf.set(clip.src, clip.line);
    if (lineOf.size > MAX_SOURCES) {
      throw badRequest(
        new XtlError(`the document names ${lineOf.size} different sources; at most ${MAX_SOURCES} are allowed`, 'timelines', undefined, undefined).message,
      );
    }
    const developer = await this.developerOf(user);
    const resolved = new Map<string, SubmittedSource>();
    const pending = [...lineOf.keys()];
    const worker = async () => {
      for (let src = pending.shift(); src !== undefined; src = pending.shift()) {
        resolved.set(src, await this.resolveOne(user, src, lineOf.get(src)!, developer));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_LOOKUPS, pending.length) }, worker));
    return resolved;
  }

  private async resolveOne(user: RenderUser, src: string, line: number, developer: DeveloperAccess | undefined): Promise<SubmittedSource> {
    const refuse = (reason: string) => badRequest(new XtlError(reason, 'clip', 'src', line).message);
    const media = await this.mediaRows.findVisible(user.id, src);
    if (media) {
      if (media.error !== null) {
        throw refuse(`media file "${src}" cannot be rendered: ${media.error.message}`);
      }
      if (!RENDERABLE.has(media.status) || media.original_key === null) {
        throw refuse(`media file "${src}" is not stored yet (status: ${media.status}); render it once its upload or import is done`);
      }
      return { ref: { kind: 'media', mediaId: media.id }, input: src, probe: estimateFromMedia(media) };
    }
    const overlay = await this.overlays.describe(user.id, src);
    if (overlay) {
      return { ref: { kind: 'overlay', overlayId: src }, input: src, probe: stillImage(overlay.width, overlay.height) };
    }
    if (!developer) {
      throw refuse(`no media file "${src}": it is not in your library, not shared, and not one of your overlay images`);
    }
    let file: DevMediaFileEntry;
    try {
      file = await fetchDeveloperFile(developer.fetchFileUrl, src, developer.apiAuthToken, this.options.fetchFileTimeoutMs);
    } catch (error) {
      if (!(error instanceof DeveloperMediaError)) throw error;
      if (error.reason === 'not_found') {
        throw refuse(`no media file "${src}": it is not in your library, not shared, not one of your overlay images, and ${error.message}`);
      }
      throw new HttpError(400, 'download_error', new XtlError(`media file "${src}": ${error.message}`, 'clip', 'src', line).message, 'Download error');
    }
    // The developer's own host serves its files: trusted like the fetchFileUrl the admin set.
    // Elsewhere the outbound rule holds (checked again by the node at every connection).
    const allowPrivate = this.options.allowPrivateUrls || sameHost(file.previewUrl, developer.fetchFileUrl);
    try {
      checkOutboundUrl(file.previewUrl, { allowPrivate });
    } catch (error) {
      if (!(error instanceof OutboundRefused)) throw error;
      throw new HttpError(
        400,
        'download_error',
        new XtlError(`media file "${src}": its previewUrl is refused: ${error.message}`, 'clip', 'src', line).message,
        'Download error',
      );
    }
    return {
      ref: { kind: 'developer', fileId: src, previewUrl: file.previewUrl, allowPrivate },
      input: file.previewUrl,
      probe: estimateFromDeveloperFile(file),
    };
  }

  private async developerOf(user: RenderUser): Promise<DeveloperAccess | undefined> {
    if (user.developerId === null) return undefined;
    const row = await this.users.developerFetchAccess(user.id);
    if (!row?.fetchFileUrl) return undefined;
    return { fetchFileUrl: row.fetchFileUrl, apiAuthToken: row.apiAuthToken };
  }
}

interface DeveloperAccess {
  fetchFileUrl: string;
  apiAuthToken: string | null;
}

function sameHost(a: string, b: string): boolean {
  try {
    return new URL(a).hostname === new URL(b).hostname;
  } catch {
    return false;
  }
}

/**
 * What a library entry says of its file, in the engine's terms. Before ingest has probed a file
 * its duration is 0 (unknown: no end check) and its sound unknown (assumed present); the render
 * node checks the real file again.
 */
/**
 * A file may be rendered once its original is stored and probed: ingest reports `convert` and
 * `prepare_thumbnails` only after both, and the proxy and thumbnails are not needed to render.
 */
const RENDERABLE = new Set<MediaStatus>(['convert', 'prepare_thumbnails', 'ready']);

export function estimateFromMedia(row: Pick<MediaRow, 'media_type' | 'duration_hns' | 'width' | 'height' | 'audio_tracks'>): MediaInfo {
  if (row.media_type === 'image') return stillImage(row.width, row.height);
  const probed = row.duration_hns > 0;
  return {
    kind: row.media_type,
    durationHns: probed ? row.duration_hns : undefined,
    hasVideo: row.media_type === 'video',
    hasAudio: row.media_type === 'audio' || !probed || row.audio_tracks.length > 0,
    ...(row.media_type === 'video' && row.width > 0 && row.height > 0 ? { width: row.width, height: row.height } : {}),
    formatName: 'unknown',
  };
}

/** What a developer says of its file; `audioTracks` absent means unknown (assumed present). */
export function estimateFromDeveloperFile(file: DevMediaFileEntry): MediaInfo {
  if (file.mediaType === 'image') return stillImage(file.width ?? 0, file.height ?? 0);
  return {
    kind: file.mediaType,
    durationHns: file.duration ? file.duration : undefined,
    hasVideo: file.mediaType === 'video',
    hasAudio: file.mediaType === 'audio' || file.audioTracks == null || file.audioTracks.length > 0,
    ...(file.mediaType === 'video' && file.width && file.height ? { width: file.width, height: file.height } : {}),
    formatName: 'unknown',
  };
}

function stillImage(width: number, height: number): MediaInfo {
  return {
    kind: 'image',
    durationHns: undefined,
    hasVideo: true,
    hasAudio: false,
    ...(width > 0 && height > 0 ? { width, height } : {}),
    formatName: 'image2',
  };
}
