import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { patternBytes, signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';

/**
 * Signed URLs of the `fs` driver, over HTTP: one object, one method, until the expiry, and no
 * part of them can be changed. The signature is the only credential these routes take.
 */
describe('signed object URLs (fs)', () => {
  let server: TestServer;
  let alice: TestUser;
  let url: URL;
  let otherKey: string;
  const original = patternBytes(4000);
  beforeAll(async () => {
    server = await startTestServer('postgres');
    alice = await signedInUser(server, 'alice');
    const mine = await storedMedia(server, alice.id, { mediaType: 'image', filetype: 'png', original, thumbnail: 'x' });
    const other = await storedMedia(server, alice.id, { mediaType: 'image', filetype: 'png', thumbnail: 'x' });
    url = new URL((await alice.api.get(`/api/mediafiles/${mine.id}`)).body.originalUrl);
    otherKey = other.original_key!;
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
  });

  const read = async (target: URL | string, init?: RequestInit) => {
    const res = await fetch(target, init);
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  };
  const withQuery = (name: string, value: string | null) => {
    const copy = new URL(url);
    if (value === null) copy.searchParams.delete(name);
    else copy.searchParams.set(name, value);
    return copy;
  };

  it('serves the object it names, whole or by range', async () => {
    expect(await read(url)).toEqual({ status: 200, body: original });
    const part = await read(url, { headers: { range: 'bytes=10-19' } });
    expect(part).toEqual({ status: 206, body: original.subarray(10, 20) });
  });

  it('refuses another object, another method, a later expiry, other headers and a changed signature', async () => {
    const otherObject = new URL(url);
    otherObject.pathname = `/files/${otherKey}`;
    expect((await read(otherObject)).status).toBe(403);
    // A GET link cannot write: the object is unchanged after the attempt.
    const put = await read(url, { method: 'PUT', body: 'overwritten', headers: { 'content-type': 'image/png' } });
    expect(put.status).toBe(403);
    expect((await read(url)).body).toEqual(original);
    const exp = Number(url.searchParams.get('exp'));
    expect((await read(withQuery('exp', String(exp + 86_400)))).status).toBe(403);
    expect((await read(withQuery('ct', 'text/html'))).status).toBe(403);
    expect((await read(withQuery('ct', null))).status).toBe(403);
    expect((await read(withQuery('dn', 'evil.html'))).status).toBe(403);
    const sig = url.searchParams.get('sig')!;
    expect((await read(withQuery('sig', `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`))).status).toBe(403);
    expect((await read(withQuery('sig', null))).status).toBe(403);
    // Paths that climb out of the store are refused, not resolved.
    expect((await read(`${server.url}/files/..%2F..%2Fetc%2Fpasswd?${url.searchParams}`)).status).toBe(403);
  });

  it('refuses a link past its expiry, and says so', async () => {
    const { signer } = server.controlPlane.services;
    const key = decodeURIComponent(url.pathname.slice('/files/'.length));
    const expired = signer.url(server.url, {
      method: 'GET',
      key,
      expiresAtS: Math.floor(Date.now() / 1000) - 1,
      contentType: url.searchParams.get('ct') ?? undefined,
    });
    const res = await fetch(expired);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  it('lets a PUT link write its one object, and nothing else', async () => {
    const { storage } = server.controlPlane.services;
    const key = `outputs/${alice.id}/signed-test.bin`;
    const putUrl = await storage.signedPutUrl(key, { expiresInS: 60, contentType: 'application/octet-stream' });
    expect((await read(putUrl)).status).toBe(403);
    const elsewhere = new URL(putUrl);
    elsewhere.pathname = `/files/outputs/${alice.id}/other.bin`;
    const headers = { 'content-type': 'application/octet-stream' };
    expect((await read(elsewhere, { method: 'PUT', body: 'x', headers })).status).toBe(403);
    expect((await read(putUrl, { method: 'PUT', body: 'x', headers: { 'content-type': 'text/html' } })).status).toBe(400);
    expect((await read(putUrl, { method: 'PUT', body: 'written', headers })).status).toBe(200);
    expect(await storage.head(key)).toMatchObject({ sizeBytes: 7 });
    expect(await storage.head(`outputs/${alice.id}/other.bin`)).toBeUndefined();
  });
});
