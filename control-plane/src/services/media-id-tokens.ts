import { createHash } from 'node:crypto';

/**
 * The media ids a project's data may mention. Ids are `newId()`: 16 random bytes in base64url,
 * 22 characters whose last one carries only 2 bits (so it is one of A, Q, g, w). Any token of
 * that shape standing alone (not part of a longer run of id characters) counts; the text is
 * searched as sent, so ids inside nested JSON strings, URLs or paths are found too, also right
 * after an escape such as `\n`. A token that is not a media id costs one index row and never
 * matches a media file.
 */
const ID_LENGTH = 22;
const isIdChar = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-') isIdChar[c.charCodeAt(0)] = 1;
const lastIdChars = new Set(['A', 'Q', 'g', 'w']);
const escapeLetters = new Set(['b', 'f', 'n', 'r', 't']);

/** Distinct id-shaped tokens of a text, sorted. A plain loop: several times faster than a regex on megabytes. */
export function mediaIdTokens(text: string): string[] {
  const ids = new Set<string>();
  const length = text.length;
  let run = 0;
  for (let i = 0; i <= length; i++) {
    const code = i < length ? text.charCodeAt(i) : 0;
    if (code < 128 && isIdChar[code] === 1) {
      run++;
      continue;
    }
    const runStart = i - run;
    if (run === ID_LENGTH) {
      if (lastIdChars.has(text[i - 1]!)) ids.add(text.slice(runStart, i));
    } else if (run === ID_LENGTH + 1 && text[runStart - 1] === '\\' && escapeLetters.has(text[runStart]!)) {
      if (lastIdChars.has(text[i - 1]!)) ids.add(text.slice(runStart + 1, i));
    }
    run = 0;
  }
  return [...ids].sort();
}

/** A short digest of a sorted id set, so a save that mentions the same media skips the index. */
export function mediaIdsDigest(sortedIds: readonly string[]): string {
  return createHash('sha256').update(sortedIds.join(',')).digest('base64url').slice(0, 22);
}
