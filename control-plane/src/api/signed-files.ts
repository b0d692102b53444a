import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import { z } from 'zod';
import { Reply, type ApiRouter } from '../http/route.js';
import { badRequest, forbidden, HttpError, payloadTooLarge } from '../http/errors.js';
import { sendObject } from '../http/send-object.js';
import type { ObjectStore } from '../storage/object-store.js';
import { SIGNED_FILES_PATH, type SignedMethod, type UrlSigner } from '../storage/signed-url.js';

export interface SignedFilesDeps {
  store: ObjectStore;
  signer: UrlSigner;
  /** Largest object a signed PUT may write. */
  maxPutBytes: number;
}

/** Documents the wildcard; the key is read from the raw path, exactly as it was signed. */
const keyParam = z.object({ key: z.any().describe('The object key, slashes included (each segment percent-encoded).') });

const signedQuery = z.object({
  exp: z.string().optional().describe('Expiry, unix seconds (part of the signature).'),
  ct: z.string().optional().describe('Content-Type served (GET) or required (PUT).'),
  dn: z.string().optional().describe('File name for Content-Disposition (GET).'),
  sig: z.string().optional().describe('HMAC-SHA256 signature of the method, key and the fields above.'),
});

/**
 * The objects of the `fs` storage driver, behind the signed URLs the control plane hands out
 * (`previewUrl`, `originalUrl`, render inputs and outputs). The signature is the only
 * credential: these routes take no Authorization header.
 */
export function mountSignedFiles(api: ApiRouter, deps: SignedFilesDeps): void {
  const path = `${SIGNED_FILES_PATH}/*key`;

  api.route({
    method: 'get',
    path,
    summary: 'Read an object through a signed URL (HTTP Range supported)',
    description:
      'Answers 200 with the whole object or 206 with one byte range; 416 past the end; 304 for a matching If-None-Match. HEAD answers the headers alone. 403 when the signature is wrong or the URL has expired.',
    auth: 'none',
    params: keyParam,
    query: signedQuery,
    responses: {
      200: { description: 'The object', contentType: 'application/octet-stream' },
      206: {
        description: 'One byte range of the object',
        contentType: 'application/octet-stream',
        headers: { 'Content-Range': { description: '`bytes <start>-<end>/<size>`', required: true } },
      },
      304: { description: 'Not modified' },
      416: { description: 'Range not satisfiable', headers: { 'Content-Range': { description: '`bytes */<size>`' } } },
    },
    errors: { 403: 'The signature is wrong or the URL has expired' },
    handler: async ({ req, res, query }) => {
      const { key, expiresAtS, contentType, downloadName } = verified(deps.signer, 'GET', req, query);
      await sendObject(req, res, deps.store, key, {
        contentType,
        downloadName,
        maxAgeS: expiresAtS - Date.now() / 1000,
      });
    },
  });

  api.route({
    method: 'put',
    path,
    summary: 'Write an object through a signed URL (render outputs)',
    description:
      'The body is the whole object; it replaces any previous one atomically. When the URL was signed with a content type, the request must carry the same Content-Type.',
    auth: 'none',
    params: keyParam,
    query: signedQuery,
    rawBody: 'application/octet-stream',
    responses: { 200: { description: 'Stored' } },
    errors: { 403: 'The signature is wrong or the URL has expired', 413: 'Larger than MAX_FILE_SIZE' },
    handler: async ({ req, query }) => {
      const { key, contentType } = verified(deps.signer, 'PUT', req, query);
      if (contentType !== undefined && mediaType(req.get('content-type')) !== mediaType(contentType)) {
        throw badRequest(`this URL accepts Content-Type ${contentType} only`);
      }
      const declared = Number(req.get('content-length') ?? NaN);
      if (deps.maxPutBytes > 0 && declared > deps.maxPutBytes) throw tooLarge(deps.maxPutBytes);
      const body = limitTo(deps.maxPutBytes);
      // pipeline, not pipe: a dropped connection must fail the write, not leave it waiting.
      pipeline(req, body).catch(() => {});
      const info = await deps.store.put(key, body, {
        contentType,
        sizeBytes: Number.isInteger(declared) ? declared : undefined,
      });
      return new Reply(200, undefined, { ETag: `"${info.sizeBytes.toString(16)}"` });
    },
  });
}

function verified(signer: UrlSigner, method: SignedMethod, req: Request, query: z.output<typeof signedQuery>) {
  const key = keyOf(req);
  const verdict = signer.verify(method, key, query);
  if (!verdict.ok) {
    throw forbidden(verdict.reason === 'expired' ? 'this link has expired; ask the API for a fresh one' : 'this link is not valid');
  }
  return verdict.fields;
}

/** The key exactly as signed: path segments after the prefix, each percent-decoded. */
function keyOf(req: Request): string {
  const raw = req.path.slice(SIGNED_FILES_PATH.length + 1);
  try {
    return raw.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw forbidden('this link is not valid');
  }
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function tooLarge(limit: number): HttpError {
  return payloadTooLarge(`objects written through signed URLs are limited to ${limit} bytes (MAX_FILE_SIZE)`);
}

/** Fails the stream once more than `limit` bytes went through (0: no limit), so nothing is stored. */
function limitTo(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (limit > 0 && seen > limit) done(tooLarge(limit));
      else done(null, chunk);
    },
  });
}
