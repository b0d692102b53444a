import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { openDatabase, ping, type Database } from './db/database.js';
import { Metrics } from './metrics.js';
import { OpenApiRegistry } from './http/openapi.js';
import { ApiRouter, type Authenticate, type AuthKind, type Principal } from './http/route.js';
import { createHttpApp } from './http/app.js';
import { requestToken } from './http/credentials.js';
import { serviceUnavailable, unauthorized } from './http/errors.js';
import { safeEqual } from './ids.js';
import { DevelopersService } from './services/developers.js';
import { IdentityService } from './services/identity.js';
import { StatsService } from './services/stats.js';
import { PresenceServer } from './realtime/presence-server.js';
import { mountOperations } from './api/operations.js';
import { mountUsers } from './api/users.js';
import { mountDevelopers } from './api/developers.js';
import { mountEditorConfig } from './api/editor-config.js';
import { mountMediaFiles } from './api/media-files.js';
import { mountFolders } from './api/folders.js';
import { mountSignedFiles } from './api/signed-files.js';
import { versionString } from './version.js';
import type { ObjectStore } from './storage/object-store.js';
import { openObjectStore } from './storage/open-object-store.js';
import { UrlSigner } from './storage/signed-url.js';
import { loadSigningSecret } from './storage/signing-secret.js';
import { freeDiskBytes } from './storage/free-disk.js';
import { MediaService } from './services/media.js';
import { FolderService } from './services/folders.js';
import { StorageQuota } from './services/storage-quota.js';
import { ObjectDeletionQueue } from './services/object-deletion-queue.js';
import { TestMediaSeeder } from './services/test-media-seeder.js';
import type { MediaUsage } from './services/media-usage.js';
import { noMediaUsage } from './services/no-media-usage.js';
import { noMediaIngest, type MediaIngestHook } from './services/media-ingest-hook.js';

/**
 * The composition root: configuration → database → services → HTTP and WebSocket server.
 * `start` resolves once the server listens; `stop` shuts everything down in order.
 */
export interface ControlPlane {
  url: string;
  server: http.Server;
  database: Database;
  services: Services;
  stop(): Promise<void>;
}

export interface Services {
  developers: DevelopersService;
  identity: IdentityService;
  stats: StatsService;
  presence: PresenceServer;
  metrics: Metrics;
  storage: ObjectStore;
  signer: UrlSigner;
  media: MediaService;
  folders: FolderService;
  objectDeletions: ObjectDeletionQueue;
}

/** Parts that other features provide; until they exist, stand-ins that do nothing are used. */
export interface Collaborators {
  /** Which projects mention which media (the projects service). Default: none do. */
  mediaUsage?: MediaUsage;
  /** Probe, proxy and thumbnails for stored media (the ingest pipeline). Default: none. */
  mediaIngest?: MediaIngestHook;
}

/** How often queued deletions of stored objects are retried. */
const DELETION_SWEEP_MS = 10 * 60_000;

export async function startControlPlane(config: Config, logger: Logger, collaborators: Collaborators = {}): Promise<ControlPlane> {
  const database = await openDatabase({
    url: config.databaseUrl,
    pgliteDir: config.databaseUrl ? undefined : path.join(config.dataDir, 'pglite'),
  });
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  const { db } = database;
  // Signed URLs name the address the server listens at when PUBLIC_URL / INTERNAL_URL are unset.
  let listenUrl: string | undefined;
  const baseUrl = (audience: 'browser' | 'internal') => {
    const url = audience === 'internal' ? (config.internalUrl ?? listenUrl) : (config.publicUrl ?? listenUrl);
    if (url === undefined) throw new Error('signed URLs are available once the server listens');
    return url;
  };
  let opened: Awaited<ReturnType<typeof openObjectStore>>;
  let signer: UrlSigner;
  try {
    signer = new UrlSigner(await loadSigningSecret(config.signingSecret, config.dataDir));
    opened = await openObjectStore(config.storage, signer, baseUrl);
  } catch (error) {
    await database.close();
    throw error;
  }
  const storage = opened.store;
  const metrics = new Metrics();
  const developers = new DevelopersService(db);
  const identity = new IdentityService(db, developers, {
    allowAnonymous: config.allowAnonymous,
    openRegistration: config.openRegistration,
    tokenGraceMs: config.tokenGraceMs,
    liveWindowMs: config.wsPingIntervalMs * 3,
  });
  const stats = new StatsService(identity, {
    activeWork: async () => ({
      activeBuildThumbsTasksCount: 0,
      activeRenderTasksCount: 0,
      activeImportFromURLTasksCount: 0,
      activeImportFromLocalDriveCount: 0,
    }),
  });
  const presence = new PresenceServer(
    identity,
    { pingIntervalMs: config.wsPingIntervalMs, bindTimeoutMs: Math.max(30_000, config.wsPingIntervalMs * 2) },
    logger.child({ component: 'presence' }),
    (count) => metrics.openSockets.set(count),
  );
  // Stand-in until the projects service indexes project → media mentions; replaced when it lands.
  const mediaUsage = collaborators.mediaUsage ?? noMediaUsage;
  const objectDeletions = new ObjectDeletionQueue(db, storage, logger.child({ component: 'object-deletions' }));
  const quota = new StorageQuota({
    maxFileSizeBytes: config.maxFileSizeBytes,
    maxUserBytes: config.maxUserBytes,
    minFreeDiskBytes: config.minFreeDiskBytes,
    freeDiskBytes: opened.fsRoot === undefined ? undefined : () => freeDiskBytes(opened.fsRoot!),
  });
  const media = new MediaService(db, storage, mediaUsage, objectDeletions, quota, { urlTtlS: config.mediaUrlTtlS });
  const folders = new FolderService(db, media, objectDeletions);
  const services: Services = { developers, identity, stats, presence, metrics, storage, signer, media, folders, objectDeletions };

  try {
    if (config.testMediaDir !== undefined) {
      const seeder = new TestMediaSeeder(db, media, storage, objectDeletions, collaborators.mediaIngest ?? noMediaIngest, logger.child({ component: 'test-media' }));
      await seeder.seed(config.testMediaDir);
    }
  } catch (error) {
    opened.close();
    await database.close();
    throw error;
  }
  // Deletions a crash or a storage outage left queued; stop() waits for a sweep in flight.
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweepDeletions = () => {
    sweeping = objectDeletions
      .sweep()
      .catch((error: unknown) => logger.warn({ err: error }, 'sweep of stored object deletions failed'));
  };
  sweepDeletions();
  const sweepTimer = setInterval(sweepDeletions, DELETION_SWEEP_MS).unref();

  const authenticate: Authenticate = async <A extends AuthKind>(kind: A, req: express.Request) => {
    const principal = await resolvePrincipal(kind, req);
    if (kind === 'user') req.log = req.log.child({ userId: (principal as Principal['user']).id });
    return principal as Principal[A];
  };
  const resolvePrincipal = async (kind: AuthKind, req: express.Request): Promise<Principal[AuthKind]> => {
    switch (kind) {
      case 'none':
        return undefined;
      case 'user':
        return identity.authenticate(requestToken(req));
      case 'apiKey':
        return { developerId: (await developers.authenticate(requestToken(req))).id };
      case 'admin': {
        if (!config.adminToken) throw unauthorized('the admin API is disabled: set ADMIN_TOKEN');
        const token = requestToken(req);
        if (!token || !safeEqual(token, config.adminToken)) throw unauthorized('the ADMIN_TOKEN is required');
        return { admin: true };
      }
    }
  };

  const registry = new OpenApiRegistry();
  const app = createHttpApp(
    { logger, metrics, corsOrigins: config.corsOrigins, bodyLimitBytes: config.bodyLimitBytes },
    (app) => {
      const router = (tag: string) => {
        const expressRouter = express.Router();
        app.use(expressRouter);
        return new ApiRouter(expressRouter, registry, authenticate, tag);
      };
      mountOperations(router('operations'), {
        stats,
        metrics,
        openapi: () =>
          registry.document({ title: 'Cutroom API', version: versionString(), serverUrl: publicUrl }),
        ready: async () => {
          await ping(db);
          if (!(await database.isMigrated())) throw serviceUnavailable('migrations are not applied');
        },
      });
      mountUsers(router('users'), identity);
      mountDevelopers(router('developers'), developers);
      mountEditorConfig(router('users'), db);
      mountMediaFiles(router('media'), media);
      mountFolders(router('folders'), folders);
    },
    (app) => {
      if (storage.driver !== 'fs') return;
      const expressRouter = express.Router();
      app.use(expressRouter);
      mountSignedFiles(new ApiRouter(expressRouter, registry, authenticate, 'files'), {
        store: storage,
        signer,
        maxPutBytes: config.maxFileSizeBytes,
      });
    },
  );

  let publicUrl = config.publicUrl;
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  presence.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  publicUrl ??= url;
  listenUrl = url;
  logger.info({ url, database: database.driver, profile: config.profile }, 'control plane listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await presence.close();
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      await Promise.race([closed, timeout]);
      server.closeAllConnections();
      clearInterval(sweepTimer);
      await sweeping;
      await database.close();
      opened.close();
      logger.info('stopped');
    })());

  return { url, server, database, services, stop };
}
