import { extensionOf } from '../../storage/content-types.js';

/**
 * Where a media entry's bytes live in the object store. Keys are made from ids only (never
 * from the names users give), and everything of one entry sits under one prefix, so deleting
 * the prefix removes the original and every derived object.
 */

export type MediaObjectRole = 'original' | 'proxy' | 'thumbnails' | 'poster' | 'scrub';

/** `media/<owner>/<media>/` for a user's media, `shared/<media>/` for shared test media. */
export function mediaObjectPrefix(ownerId: string | null, mediaId: string): string {
  return ownerId === null ? `shared/${mediaId}/` : `media/${ownerId}/${mediaId}/`;
}

/**
 * The key of one object of an entry: `<prefix><role>.<ext>`. The extension (taken from the
 * format, e.g. `mp4`, or a file name) is kept so the type of a stored object is plain to see.
 */
export function mediaObjectKey(ownerId: string | null, mediaId: string, role: MediaObjectRole, extensionOrName: string): string {
  const extension = extensionOrName.includes('.') ? extensionOf(extensionOrName) : extensionOrName.toLowerCase();
  const safe = /^[a-z0-9]{1,10}$/.test(extension) ? extension : 'bin';
  return `${mediaObjectPrefix(ownerId, mediaId)}${role}.${safe}`;
}
