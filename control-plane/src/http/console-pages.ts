import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { StorageConfig } from '../config.js';

/**
 * The web console's pages (the reference editor, the operations view, the API docs) and their
 * bundled assets, built by `make build` into console/dist. Pages are revalidated on every load
 * (`no-cache`), so a new build shows at once; assets have content hashes in their names and
 * are cached for a year. Every answer carries the security headers and a content security
 * policy without inline scripts.
 */

export interface ConsolePagesOptions {
  /** The console's build output (index.html, ops.html, docs.html, assets/). */
  dir: string;
  /** Origins besides our own that serve media the pages play (a public S3 endpoint). */
  mediaOrigins: string[];
  logger: Logger;
}

/** Where `make build` writes the console: console/dist beside control-plane/ (from src/ and dist/ alike). */
export function defaultConsoleDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'console', 'dist');
}

/** Origins the browser fetches media from besides ours: the object store's, when it is S3. */
export function mediaOriginsOf(storage: StorageConfig): string[] {
  if (storage.driver !== 's3') return [];
  const endpoint = storage.publicEndpoint ?? storage.endpoint;
  if (endpoint !== undefined) return [new URL(endpoint).origin];
  return [`https://${storage.bucket}.s3.${storage.region}.amazonaws.com`, `https://s3.${storage.region}.amazonaws.com`];
}

const PAGES: Record<string, string> = {
  '/': 'index.html',
  '/console/ops': 'ops.html',
  '/api/docs': 'docs.html',
};

const YEAR_S = 365 * 86400;

export function consoleSecurityHeaders(mediaOrigins: string[]) {
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:', ...mediaOrigins],
        // 'self' covers the same-origin ws:/wss: presence socket.
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Media may come from a presigned object-store origin, which sends no CORP header.
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    // The microphone is for voiceover recording; nothing else is asked of the device.
    res.setHeader('Permissions-Policy', 'microphone=(self), camera=(), geolocation=(), payment=(), usb=()');
    securityHeaders(req, res, next);
  };
}

/** Mounts the pages; answers false (and mounts nothing) when the console was not built. */
export function mountConsolePages(app: Express, options: ConsolePagesOptions): boolean {
  const missing = Object.values(PAGES).filter((file) => !fs.existsSync(path.join(options.dir, file)));
  if (missing.length > 0) {
    options.logger.warn({ dir: options.dir, missing }, 'the web console is not built (run `make build`); its pages are not served');
    return false;
  }
  const headers = consoleSecurityHeaders(options.mediaOrigins);
  for (const [route, file] of Object.entries(PAGES)) {
    app.get(route, headers, (_req, res) => {
      res.sendFile(file, { root: options.dir, headers: { 'Cache-Control': 'no-cache' }, lastModified: true });
    });
  }
  app.use(
    '/assets',
    headers,
    express.static(path.join(options.dir, 'assets'), {
      index: false,
      redirect: false,
      fallthrough: true,
      setHeaders: (res) => res.setHeader('Cache-Control', `public, max-age=${YEAR_S}, immutable`),
    }),
  );
  return true;
}
