import path from 'node:path';
import JSON5 from 'json5';
import { z } from 'zod';
import type { AudiolibType } from '../../db/schema.js';

/**
 * Reads the audio library's list (AUDIOLIB_JSON_LIST): `{"entries": [{name, relativePath,
 * category, type, mood?}, ...]}` as the editor API shows it, or the bare array. The editor API's own example
 * has trailing commas, so the text is read as JSON5 (JSON plus trailing commas and comments).
 * A malformed document is one error; a malformed entry is refused alone, the rest stand.
 */

export interface ListedAudio {
  /** As written in the list (resolved against AUDIOLIB_FILES_DIR by the import). */
  relativePath: string;
  /** Display name; the file's base name when the list gives none. */
  name: string;
  audiolibType: AudiolibType;
  category: string | null;
  mood: string | null;
}

export type ListItem = { ok: true; entry: ListedAudio } | { ok: false; label: string; reason: string };

export class ListFormatError extends Error {}

/** Category and mood names are trimmed; empty means none. */
const tagName = z
  .string()
  .max(255)
  .nullish()
  .transform((value) => (value === undefined || value === null || value.trim() === '' ? null : value.trim()));

const entrySchema = z.object({
  relativePath: z.string().min(1, 'relativePath is empty').max(4096),
  name: z.string().max(255).nullish(),
  category: tagName,
  mood: tagName,
  type: z.enum(['music', 'sound']).nullish(),
});

export function parseAudioLibraryList(text: string): ListItem[] {
  let document: unknown;
  try {
    document = JSON5.parse(text);
  } catch (error) {
    throw new ListFormatError(`the list is not JSON: ${(error as Error).message}`);
  }
  const entries = Array.isArray(document)
    ? document
    : document !== null && typeof document === 'object' && Array.isArray((document as { entries?: unknown }).entries)
      ? (document as { entries: unknown[] }).entries
      : undefined;
  if (!entries) throw new ListFormatError('the list has no "entries" array');
  return entries.map((raw, index): ListItem => {
    const label =
      raw !== null && typeof raw === 'object' && typeof (raw as { relativePath?: unknown }).relativePath === 'string'
        ? (raw as { relativePath: string }).relativePath
        : `entry ${index + 1}`;
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
      return { ok: false, label, reason: `not a valid entry (${reason})` };
    }
    const { relativePath, name, category, mood, type } = parsed.data;
    const displayName = name?.trim() ? name.trim() : path.posix.basename(relativePath.replaceAll('\\', '/'));
    return { ok: true, entry: { relativePath, name: displayName, audiolibType: type ?? 'music', category, mood } };
  });
}
