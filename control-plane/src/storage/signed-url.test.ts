import { describe, expect, it } from 'vitest';
import { encodeObjectKey, UrlSigner, type SignedFields } from './signed-url.js';

const signer = new UrlSigner('a-secret-of-some-length');
const now = Date.UTC(2030, 0, 1);
const fields: SignedFields = { method: 'GET', key: 'media/u1/m1/original.mp4', expiresAtS: now / 1000 + 60, contentType: 'video/mp4' };
const query = (q: string) => Object.fromEntries(new URLSearchParams(q));

describe('UrlSigner', () => {
  it('accepts what it signed until it expires', () => {
    const q = query(signer.sign(fields));
    expect(signer.verify('GET', fields.key, q, now)).toEqual({ ok: true, fields: { ...fields, downloadName: undefined } });
    expect(signer.verify('GET', fields.key, q, now + 59_999).ok).toBe(true);
    expect(signer.verify('GET', fields.key, q, now + 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses any change to the key, method, expiry, headers or signature', () => {
    const q = query(signer.sign(fields));
    expect(signer.verify('GET', 'media/u1/m2/original.mp4', q, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(signer.verify('PUT', fields.key, q, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(signer.verify('GET', fields.key, { ...q, exp: String(fields.expiresAtS + 3600) }, now).ok).toBe(false);
    expect(signer.verify('GET', fields.key, { ...q, ct: 'text/html' }, now).ok).toBe(false);
    expect(signer.verify('GET', fields.key, { ...q, dn: 'x.html' }, now).ok).toBe(false);
    const { ct: _dropped, ...withoutType } = q;
    expect(signer.verify('GET', fields.key, withoutType, now).ok).toBe(false);
    expect(signer.verify('GET', fields.key, { ...q, sig: `${q.sig!.slice(0, -1)}A` }, now).ok).toBe(false);
    expect(new UrlSigner('another-secret-entirely').verify('GET', fields.key, q, now).ok).toBe(false);
  });

  it('answers missing for URLs without a signature or with a malformed expiry', () => {
    expect(signer.verify('GET', fields.key, {}, now)).toEqual({ ok: false, reason: 'missing' });
    expect(signer.verify('GET', fields.key, { exp: 'soon', sig: 'x' }, now)).toEqual({ ok: false, reason: 'missing' });
    expect(signer.verify('GET', fields.key, { exp: ['1', '2'], sig: 'x' }, now)).toEqual({ ok: false, reason: 'missing' });
  });

  it('keeps slashes of keys in URLs and encodes the rest', () => {
    expect(encodeObjectKey('media/a b/c?d#e.mp4')).toBe('media/a%20b/c%3Fd%23e.mp4');
    const url = new URL(signer.url('http://host:1', fields));
    expect(url.pathname).toBe('/files/media/u1/m1/original.mp4');
    expect(url.searchParams.get('ct')).toBe('video/mp4');
  });
});
