import { createHmac } from 'node:crypto';
import { safeEqual } from '../ids.js';

/**
 * HMAC-signed, expiring URLs for objects the control plane serves itself (the `fs` storage
 * driver): `<base>/files/<key>?exp=<unix s>&ct=..&dn=..&sig=..`. The signature covers the
 * method, the key, the expiry and the response headers the URL asks for, so a GET URL cannot
 * be turned into a PUT, pointed at another object, kept alive longer, or made to answer with
 * another Content-Type. Any replica holding the same secret verifies any other's URLs.
 */

export type SignedMethod = 'GET' | 'PUT';

export interface SignedFields {
  method: SignedMethod;
  key: string;
  /** Unix seconds after which the URL is refused. */
  expiresAtS: number;
  /** GET: the Content-Type served; PUT: the Content-Type the writer must send. */
  contentType?: string | undefined;
  /** GET: the file name offered by Content-Disposition. */
  downloadName?: string | undefined;
}

export type Verdict = { ok: true; fields: SignedFields } | { ok: false; reason: 'missing' | 'expired' | 'bad_signature' };

/** The path prefix the control plane serves signed objects under. */
export const SIGNED_FILES_PATH = '/files';

/** How many signed query strings a signer keeps (a few MB at most); past that it starts afresh. */
const SIGNED_MEMO_SIZE = 20_000;

export class UrlSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A key derived for this one purpose, so other HMACs made from the same secret never collide with it.
    this.key = createHmac('sha256', secret).update('cutroom signed object URL v1').digest();
  }

  /**
   * Query strings already made: the same fields always sign alike, and callers that issue URLs in
   * expiry windows (a library list signs two per entry, page after page) ask for the same ones.
   */
  private readonly signed = new Map<string, string>();

  /** The query string (without `?`) that authorizes `fields`. */
  sign(fields: SignedFields): string {
    const memo = `${fields.method}\0${fields.key}\0${fields.expiresAtS}\0${fields.contentType ?? '\u0001'}\0${fields.downloadName ?? '\u0001'}`;
    const known = this.signed.get(memo);
    if (known !== undefined) return known;
    const query = this.signNow(fields);
    if (this.signed.size >= SIGNED_MEMO_SIZE) this.signed.clear();
    this.signed.set(memo, query);
    return query;
  }

  private signNow(fields: SignedFields): string {
    const query = new URLSearchParams();
    query.set('exp', String(fields.expiresAtS));
    if (fields.contentType !== undefined) query.set('ct', fields.contentType);
    if (fields.downloadName !== undefined) query.set('dn', fields.downloadName);
    query.set('sig', this.signature(fields));
    return query.toString();
  }

  /** A full URL under `baseUrl` for `fields`. */
  url(baseUrl: string, fields: SignedFields): string {
    return `${baseUrl}${SIGNED_FILES_PATH}/${encodeObjectKey(fields.key)}?${this.sign(fields)}`;
  }

  /** Checks a request's method, key and query against its signature and the clock. */
  verify(method: SignedMethod, key: string, query: Record<string, unknown>, nowMs = Date.now()): Verdict {
    const exp = single(query.exp);
    const sig = single(query.sig);
    if (exp === undefined || sig === undefined || !/^\d{1,12}$/.test(exp)) return { ok: false, reason: 'missing' };
    const fields: SignedFields = {
      method,
      key,
      expiresAtS: Number(exp),
      contentType: single(query.ct),
      downloadName: single(query.dn),
    };
    // Checked before the clock, so a forged URL learns nothing about expiry.
    if (!safeEqual(sig, this.signature(fields))) return { ok: false, reason: 'bad_signature' };
    if (fields.expiresAtS * 1000 <= nowMs) return { ok: false, reason: 'expired' };
    return { ok: true, fields };
  }

  private signature(fields: SignedFields): string {
    // Length-prefixed parts: no choice of values can make two different field sets sign alike.
    const parts = [fields.method, fields.key, String(fields.expiresAtS), fields.contentType ?? '\0', fields.downloadName ?? '\0'];
    const hmac = createHmac('sha256', this.key);
    for (const part of parts) hmac.update(`${Buffer.byteLength(part)}:${part}`);
    return hmac.digest('base64url');
  }
}

/** Keys keep their slashes in URLs; every segment is percent-encoded. */
export function encodeObjectKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
