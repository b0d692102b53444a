import type { MediaRow } from '../../control-plane/src/db/media-repository.js';
import type { MediaKind, MediaStatus, MediaType } from '../../control-plane/src/db/schema.js';
import type { FolderService } from '../../control-plane/src/services/library/folders.js';
import type { IdentityService } from '../../control-plane/src/services/identity/identity.js';
import type { MediaService } from '../../control-plane/src/services/library/media.js';
import type { ProjectsService } from '../../control-plane/src/services/projects/projects.js';
import type { ObjectStore } from '../../control-plane/src/storage/object-store.js';
import { mediaEntry } from './media-factory.js';

/**
 * Small factories for the medium tier: each makes one row through the service that owns it,
 * with defaults for every field a test does not care about.
 */
export interface FactoryServices {
  identity: IdentityService;
  media: MediaService;
  folders: FolderService;
  projects: ProjectsService;
  storage: ObjectStore;
}

export interface MediaOptions {
  /** The owner's user id; null: shared test media. */
  owner: string | null;
  name?: string;
  folder?: string | null;
  type?: MediaKind;
  mediaType?: MediaType;
  filetype?: string;
  status?: MediaStatus;
  sizeBytes?: number;
  durationHns?: number;
  createTimeMs?: number;
  /** Store an original of `sizeBytes` bytes (at most 64 KiB) and point the entry at it. */
  stored?: boolean;
  /** Also store a proxy and a thumbnail pack, as ingest would (implies `stored`). */
  derived?: boolean;
}

export class Factory {
  private count = 0;

  constructor(private readonly services: FactoryServices) {}

  /** A registered user; answers the id. */
  async user(name?: string): Promise<string> {
    this.count += 1;
    return (await this.services.identity.createUser({ name: name ?? `user ${this.count}` })).id;
  }

  async media(options: MediaOptions): Promise<MediaRow> {
    const { owner, folder, ...spec } = options;
    return mediaEntry(this.services, owner, { ...spec, folderId: folder ?? null, stored: options.stored ?? false });
  }

  /** A folder of `owner` (in `parent`, default the root); answers the id. */
  async folder(options: { owner: string; name?: string; parent?: string | null }): Promise<string> {
    this.count += 1;
    return (await this.services.folders.create(options.owner, options.name ?? `folder ${this.count}`, options.parent ?? null)).id;
  }

  /** A project of `owner` whose data is `data` as JSON (default `{}`); answers the id. */
  async project(options: { owner: string; name?: string; data?: unknown; createTimeMs?: number }): Promise<string> {
    this.count += 1;
    const { id } = await this.services.projects.create(options.owner, {
      name: options.name ?? `project ${this.count}`,
      data: { bytes: Buffer.from(JSON.stringify(options.data ?? {})) },
      createTimeMs: options.createTimeMs,
    });
    return id;
  }
}
