import { createHash } from 'node:crypto';

/**
 * The media ids a project's data (UTF-8 bytes) may mention. Ids are `newId()`: 16 random bytes in base64url,
 * 22 characters whose last one carries only 2 bits (so it is one of A, Q, g, w). Any token of
 * that shape standing alone (not part of a longer run of id characters) counts; the text is
 * searched as sent, so ids inside nested JSON strings, URLs or paths are found too, also right
 * after an escape such as `\n`. A token that is not a media id costs one index row and never
 * matches a media file.
 */
const ID_LENGTH = 22;
const idChars = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-') idChars[c.charCodeAt(0)] = 1;
const isIdChar = (code: number) => idChars[code] === 1;
/** The last character of a 128-bit base64url id: A, Q, g or w. */
const canEndId = (code: number) => code === 0x41 || code === 0x51 || code === 0x67 || code === 0x77;
/** Letters of JSON escapes (`\n`) that may stand right before an id. */
const isEscapeLetter = (code: number) => code === 0x62 || code === 0x66 || code === 0x6e || code === 0x72 || code === 0x74;
const BACKSLASH = 0x5c;

/**
 * Distinct id-shaped tokens of a text, sorted. Autosave runs this on megabytes, so it skips
 * ahead: when the byte 21 places on is not an id character, no id can start in between. Ids
 * are ASCII, and every byte of a multi-byte UTF-8 character is above it, so bytes and
 * characters give the same tokens.
 */
export function mediaIdTokens(bytes: Uint8Array): string[] {
  const ids = new Set<string>();
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const length = text.length;
  // Invariant: the character before `i` (if any) is not an id character.
  let i = 0;
  while (i + ID_LENGTH <= length) {
    if (!isIdChar(text[i + ID_LENGTH - 1]!)) {
      i += ID_LENGTH;
      continue;
    }
    let start = i + ID_LENGTH - 1;
    while (start > i && isIdChar(text[start - 1]!)) start--;
    let end = i + ID_LENGTH;
    while (end < length && isIdChar(text[end]!)) end++;
    const run = end - start;
    if (canEndId(text[end - 1]!)) {
      if (run === ID_LENGTH) ids.add(text.toString('latin1', start, end));
      else if (run === ID_LENGTH + 1 && text[start - 1] === BACKSLASH && isEscapeLetter(text[start]!)) {
        ids.add(text.toString('latin1', start + 1, end));
      }
    }
    i = end + 1;
  }
  return [...ids].sort();
}

/** A short digest of a sorted id set, so a save that mentions the same media skips the index. */
export function mediaIdsDigest(sortedIds: readonly string[]): string {
  return createHash('sha256').update(sortedIds.join(',')).digest('base64url').slice(0, 22);
}
