import { z } from 'zod';

/** Wire schemas shared by the projects and actions routes. */

/** A wall-clock time in unix milliseconds, as the editor API's `createTime` / `modifTime`. */
export const unixMs = z.number().int().min(0).max(8_640_000_000_000_000).describe('Unix time in milliseconds; when left out the server time is used.');

/**
 * Text that Postgres can keep exactly: no NUL character, no unpaired UTF-16 surrogate (which
 * would silently turn into U+FFFD). Refused with a 400 rather than stored altered.
 */
export const storedText = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .refine((s) => !s.includes('\u0000') && !/\p{Cs}/u.test(s), 'must not hold NUL characters or unpaired surrogates');

export const objectId = z.string().min(1).max(200);

export const anyJson = z.unknown().describe('Any JSON value. It is stored as the exact JSON text sent and answered byte for byte.');
