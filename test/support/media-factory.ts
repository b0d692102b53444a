import { vi } from 'vitest';
import type { MediaRow } from '../../control-plane/src/db/media-repository.js';
import type { MediaKind, MediaStatus, MediaType } from '../../control-plane/src/db/schema.js';
import type { ApiClient } from './api-client.js';
import { connectEditor, type EditorConnection } from './editor-client.js';
import type { TestServer } from './server.js';
import type { MediaService } from '../../control-plane/src/services/library/media.js';
import type { ObjectStore } from '../../control-plane/src/storage/object-store.js';

/**
 * One-line factories for media tests: a signed-in user, a media entry with real stored bytes,
 * and a stand-in for the projects' media index that tests can point at files.
 */

export interface TestUser {
  id: string;
  token: string;
  api: ApiClient;
  editor: EditorConnection;
}

export async function signedInUser(server: TestServer, name = 'user'): Promise<TestUser> {
  const created = await server.api().post('/api/users', { name });
  if (created.status !== 200) throw new Error(`POST /api/users: ${created.status} ${created.text}`);
  const editor = await connectEditor(server.wsUrl, { sessionId: created.body.id });
  return { id: created.body.id, token: editor.authToken, api: server.api(editor.authToken), editor };
}

export interface MediaSpec {
  name?: string;
  folderId?: string | null;
  type?: MediaKind;
  mediaType?: MediaType;
  filetype?: string;
  status?: MediaStatus;
  sizeBytes?: number;
  durationHns?: number;
  createTimeMs?: number;
  width?: number;
  height?: number;
  audioTracks?: string[];
  thumbnail?: string;
  /** Bytes of the stored original (default: `sizeBytes` bytes, at most 64 KiB, of a pattern). */
  original?: Buffer;
  /** Also store a proxy and a thumbnail pack, as ingest would. */
  derived?: boolean;
}

let counter = 0;

/** A media entry of `ownerId` (null: shared test media) whose objects really are in the store. */
export async function storedMedia(server: TestServer, ownerId: string | null, spec: MediaSpec = {}): Promise<MediaRow> {
  return mediaEntry(server.controlPlane.services, ownerId, spec);
}

/**
 * A media entry made through the media service, with or without a server around it (the medium
 * tier has none): its original, and with `derived` its proxy and thumbnail pack, are stored
 * unless `stored` is false.
 */
export async function mediaEntry(
  services: { media: MediaService; storage: ObjectStore },
  ownerId: string | null,
  spec: MediaSpec & { stored?: boolean } = {},
): Promise<MediaRow> {
  const { media, storage } = services;
  counter += 1;
  const mediaType = spec.mediaType ?? 'video';
  const filetype = spec.filetype ?? { video: 'mp4', audio: 'mp3', image: 'png' }[mediaType];
  const original = spec.original ?? patternBytes(Math.min(spec.sizeBytes ?? 1000, 64 * 1024));
  const row = await media.create({
    ownerId,
    folderId: spec.folderId ?? null,
    name: spec.name ?? `clip ${counter}.${filetype}`,
    type: spec.type ?? (ownerId === null ? 'test' : 'uploaded'),
    filetype,
    mediaType,
    status: spec.status ?? 'ready',
    sizeBytes: spec.sizeBytes ?? original.length,
    durationHns: spec.durationHns ?? 0,
    width: spec.width ?? 0,
    height: spec.height ?? 0,
    audioTracks: spec.audioTracks,
    thumbnail: spec.thumbnail ?? null,
    createTimeMs: spec.createTimeMs,
    enforceQuota: false,
  });
  if (spec.stored === false && !spec.derived) return row;
  const originalKey = media.objectKey(row, 'original', filetype);
  await storage.put(originalKey, original);
  const keys: { originalKey: string; proxyKey?: string; thumbnailsKey?: string } = { originalKey };
  if (spec.derived) {
    keys.proxyKey = media.objectKey(row, 'proxy', 'mp4');
    keys.thumbnailsKey = media.objectKey(row, 'thumbnails', 'bin');
    await storage.put(keys.proxyKey, patternBytes(500));
    await storage.put(keys.thumbnailsKey, patternBytes(300));
  }
  return (await media.update(row.id, keys))!;
}

export function patternBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + 3) % 251;
  return bytes;
}

/** Polls a media entry until ingest is done with it (ready at 100 %, or an error); answers the entry. */
export function settledMedia(user: TestUser, id: string, timeoutMs = 60_000): Promise<any> {
  return vi.waitFor(
    async () => {
      const entry = (await user.api.get(`/api/mediafiles/${id}`)).body;
      if (!(entry.status === 'ready' && entry.progress === 100) && !entry.error) throw new Error(`media ${id} still ${entry.status} (${entry.progress}%)`);
      return entry;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}
