import { randomBytes } from 'node:crypto';
import type { Response } from 'express';

/**
 * JSON answers that embed stored JSON texts verbatim (a project's `data`, megabytes): the
 * envelope is serialized as usual and each `RawJson` is spliced in as the exact text, never
 * parsed and serialized again.
 */
export class RawJson {
  /** `text` must be valid JSON; it is trusted as it comes from a validated request. */
  constructor(readonly text: string) {}
}

export function stringifyWithRaw(value: unknown): string {
  const raws: string[] = [];
  // A NUL cannot occur in stored text (Postgres refuses it), so this marker cannot collide
  // with a user's string; the random part makes that doubly sure.
  const marker = `\u0000${randomBytes(6).toString('hex')}:`;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.text);
      return `${marker}${raws.length - 1}`;
    }
    return v;
  });
  if (raws.length === 0) return text;
  const escapedMarker = JSON.stringify(marker).slice(1, -1).replace(/\\/g, '\\\\');
  return text.replace(new RegExp(`"${escapedMarker}(\\d+)"`, 'g'), (_match, index: string) => raws[Number(index)]!);
}

/** Writes a JSON answer that may hold `RawJson` values. */
export function sendJson(res: Response, value: unknown, status = 200): void {
  res.status(status).type('application/json').send(stringifyWithRaw(value));
}
