import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../control-plane/src/config.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { openDatabase, type Database } from '../../control-plane/src/db/database.js';
import { ActionsRepository } from '../../control-plane/src/db/actions-repository.js';
import { ProjectsRepository } from '../../control-plane/src/db/projects-repository.js';
import { ActionHistoryService } from '../../control-plane/src/services/projects/action-history.js';
import { DevelopersService } from '../../control-plane/src/services/identity/developers.js';
import { FolderService } from '../../control-plane/src/services/library/folders.js';
import { IdentityService } from '../../control-plane/src/services/identity/identity.js';
import { MediaService } from '../../control-plane/src/services/library/media.js';
import type { MediaUsage } from '../../control-plane/src/services/library/media-usage.js';
import { ObjectDeletionQueue } from '../../control-plane/src/services/library/object-deletion-queue.js';
import { ProjectsService } from '../../control-plane/src/services/projects/projects.js';
import { StorageQuota } from '../../control-plane/src/services/library/storage-quota.js';
import { FsObjectStore } from '../../control-plane/src/storage/fs-object-store.js';
import { UrlSigner } from '../../control-plane/src/storage/signed-url.js';
import { freeDiskBytes } from '../../control-plane/src/storage/free-disk.js';
import { createTestDatabase } from './databases.js';
import { Factory } from './factory.js';

/**
 * The medium tier: the control plane's services as they are wired in production, on a fresh
 * Postgres database and a temporary object store, without an HTTP server. Each service is made
 * from its own constructor, with the settings `loadConfig` reads from `env` (the same names and
 * defaults as the server's).
 */
export interface MediumServices {
  config: Config;
  database: Database;
  storage: FsObjectStore;
  objectDeletions: ObjectDeletionQueue;
  developers: DevelopersService;
  identity: IdentityService;
  media: MediaService;
  folders: FolderService;
  projects: ProjectsService;
  actions: ActionHistoryService;
  factory: Factory;
  /** Closes the database and removes it with the stored objects. */
  destroy(): Promise<void>;
}

export async function startMediumServices(env: Record<string, string> = {}): Promise<MediumServices> {
  const testDatabase = await createTestDatabase('postgres');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-medium-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: testDatabase.url!, ...env });
  const logger = createLogger(config.logLevel);
  const database = await openDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize });
  await database.migrate();
  const { db } = database;
  const root = path.join(dataDir, 'objects');
  const storage = new FsObjectStore({ root, signer: new UrlSigner('medium-tier-secret'), baseUrl: () => 'http://127.0.0.1:1' });
  const objectDeletions = new ObjectDeletionQueue(db, storage, logger);
  const developers = new DevelopersService(db, async () => {});
  const identity = new IdentityService(db, developers, {
    allowAnonymous: config.allowAnonymous,
    openRegistration: config.openRegistration,
    tokenGraceMs: config.tokenGraceMs,
    tokenBindWaitMs: config.tokenBindWaitMs,
    liveWindowMs: config.wsPingIntervalMs * 3,
    tokenPolicy: config.tokenPolicy,
  });
  // The media library and the projects service each answer a question of the other's.
  let projects: ProjectsService | undefined;
  const mediaUsage: MediaUsage = { projectsUsing: (ownerId, ids) => projects!.projectsUsing(ownerId, ids) };
  const quota = new StorageQuota({
    maxFileSizeBytes: config.maxFileSizeBytes,
    maxUserBytes: config.maxUserBytes,
    minFreeDiskBytes: config.minFreeDiskBytes,
    freeDiskBytes: () => freeDiskBytes(root),
  });
  const media = new MediaService(db, storage, mediaUsage, objectDeletions, quota, { urlTtlS: config.mediaUrlTtlS });
  const folders = new FolderService(db, media, objectDeletions);
  projects = new ProjectsService(new ProjectsRepository(db, database.utf8Param), { describe: (ownerId, ids) => media.describeMany(ownerId, ids) });
  const actions = new ActionHistoryService(new ActionsRepository(db), { depth: config.actionHistoryDepth });
  const services = { config, database, storage, objectDeletions, developers, identity, media, folders, projects, actions };
  return {
    ...services,
    factory: new Factory(services),
    async destroy() {
      await database.close();
      await testDatabase.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
