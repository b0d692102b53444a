import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { badRequest, payloadTooLarge, unsupportedContentType } from './errors.js';
import { OFFLOAD_BYTES, type ByteSpan, type CpuPool, type PreparedJson, type VerbatimJson } from '../project-data/index.js';

/**
 * JSON request bodies. The bytes are read (size-limited, decompressed), checked once (UTF-8,
 * JSON syntax) and parsed only when `req.body` is first read. Routes that store members as the
 * client wrote them (a project's `data`, megabytes per autosave) take those members as their
 * bytes instead, never parsed: see `verbatimBody`.
 *
 * The readers run on routes that take a JSON body, and read it whatever the client called it
 * among the types a browser sends by default: `fetch(url, {body: JSON.stringify(x)})` says
 * `text/plain`, a Blob or a Buffer says nothing. A body of any other type is refused with 415:
 * answering success for a body that was never read would lose what the client sent.
 */

export type { JsonBytes, VerbatimJson } from '../project-data/index.js';

interface CheckedBody {
  bytes: Buffer;
  members: Map<string, ByteSpan> | undefined;
  prepared: Map<string, PreparedJson>;
}

const checkedBodies = new WeakMap<IncomingMessage, CheckedBody>();

/** Media types read as JSON; any other type of a non-empty body is a 415. */
const JSON_TYPES = ['application/json', '+json', 'text/json', 'text/plain'];

export function jsonBodies(limitBytes: number, cpu: CpuPool): RequestHandler[] {
  return [
    (req, _res, next) => {
      refuseOtherTypes(req);
      next();
    },
    (req, _res, next) => readShared(req, limitBytes, next),
    express.raw({ type: () => true, limit: limitBytes }),
    (req, res, next) => checkJsonBody(cpu, req, res, next),
  ];
}

/** Whether the body, if any, is to be read as JSON: no Content-Type at all, or a JSON or text type. */
function readsAsJson(req: Request): boolean {
  if (req.headers['content-type'] === undefined) return true;
  return req.is(JSON_TYPES) !== false;
}

function refuseOtherTypes(req: Request): void {
  if (readsAsJson(req) || req.headers['content-length'] === '0') return;
  throw unsupportedContentType(
    `the body is ${req.headers['content-type']}: this route takes JSON (sent as application/json, text/plain or with no Content-Type)`,
  );
}

/**
 * A large JSON body of known length, not compressed, is read straight into memory that the
 * CPU pool's threads share: handing it to a thread then copies nothing and takes nothing
 * back, which spares the garbage collector megabytes per autosave. Other bodies go through
 * express.raw (which finds the request finished after this one read it).
 */
async function readShared(req: Request, limitBytes: number, next: NextFunction): Promise<void> {
  const length = Number(req.headers['content-length']);
  const encoding = req.headers['content-encoding'];
  if (!Number.isSafeInteger(length) || length < OFFLOAD_BYTES || (encoding !== undefined && encoding !== 'identity')) {
    next();
    return;
  }
  if (length > limitBytes) throw payloadTooLarge('the request body is larger than the server accepts (BODY_LIMIT)');
  const body = Buffer.from(new SharedArrayBuffer(length));
  let received = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      chunk.copy(body, received);
      received += chunk.length;
    }
  } catch {
    throw badRequest('the request was aborted before its body was complete');
  }
  if (received !== length) throw badRequest('the body is shorter than its Content-Length');
  req.body = body;
  next();
}

async function checkJsonBody(cpu: CpuPool, req: Request, _res: Response, next: NextFunction): Promise<void> {
  if (!Buffer.isBuffer(req.body)) {
    next();
    return;
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw badRequest(`unsupported charset "${charset.toUpperCase()}": JSON bodies are UTF-8`);
  }
  let bytes = req.body;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3); // byte order mark
  if (bytes.length === 0) {
    req.body = {};
    next();
    return;
  }
  const analyzed = await cpu.run('analyzeBody', bytes);
  const check = analyzed.result;
  bytes = analyzed.bytes;
  if (!check.ok) throw badRequest(`malformed JSON body: ${check.message}`);
  checkedBodies.set(req, { bytes, members: check.members, prepared: check.prepared });
  // Parsed on first read: a route taking members verbatim never pays for the whole parse.
  let parsed: unknown;
  let isParsed = false;
  Object.defineProperty(req, 'body', {
    configurable: true,
    enumerable: true,
    get() {
      if (!isParsed) {
        parsed = JSON.parse(bytes.toString('utf8'));
        isParsed = true;
      }
      return parsed;
    },
    set(value: unknown) {
      parsed = value;
      isParsed = true;
    },
  });
  next();
}

/**
 * The body with the named top-level members taken out as their exact bytes; the other members
 * are parsed. Bodies that are not JSON objects come back whole, with nothing taken out.
 */
export function verbatimBody(req: Request, names: readonly string[]): { body: unknown; verbatim: Map<string, VerbatimJson> } {
  const verbatim = new Map<string, VerbatimJson>();
  const checked = checkedBodies.get(req);
  if (!checked?.members) return { body: req.body, verbatim };
  const body: Record<string, unknown> = {};
  for (const [name, span] of checked.members) {
    const bytes = checked.bytes.subarray(span.start, span.end);
    let value: unknown;
    if (names.includes(name)) {
      verbatim.set(name, { bytes, prepared: checked.prepared.get(name) });
      value = bytes;
    } else {
      value = JSON.parse(bytes.toString('utf8'));
    }
    // Defined, not assigned: a member named "__proto__" stays a plain member, as with JSON.parse.
    Object.defineProperty(body, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return { body, verbatim };
}
