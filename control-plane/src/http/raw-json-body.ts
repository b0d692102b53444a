import type { IncomingMessage } from 'node:http';
import { topLevelMemberSpans } from './json-member-spans.js';

/**
 * Keeps the bytes of JSON request bodies beside the parsed value, so members that are stored
 * as sent (a project's or an action's `data`) can be taken verbatim, byte for byte.
 */

interface RawBody {
  bytes: Buffer;
  charset: string | null;
}

const rawBodies = new WeakMap<IncomingMessage, RawBody>();

/** The body parser's `verify` hook: remembers the (decompressed) bytes of the request. */
export function keepRawBody(req: IncomingMessage, _res: unknown, bytes: Buffer, charset: string | null): void {
  rawBodies.set(req, { bytes, charset: charset?.toLowerCase() ?? null });
}

/**
 * The JSON text of a top-level member of the request body exactly as the client wrote it, or
 * undefined when the body has no such member. Bodies in a charset other than UTF-8 (rare)
 * fall back to the parsed value, serialized again.
 */
export function rawMemberText(req: IncomingMessage & { body?: unknown }, name: string): string | undefined {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !Object.hasOwn(body, name)) return undefined;
  const raw = rawBodies.get(req);
  if (raw && (raw.charset === null || raw.charset === 'utf-8' || raw.charset === 'utf8')) {
    const span = topLevelMemberSpans(raw.bytes, [name])?.get(name);
    if (span) return raw.bytes.toString('utf8', span.start, span.end);
  }
  return JSON.stringify((body as Record<string, unknown>)[name]);
}
