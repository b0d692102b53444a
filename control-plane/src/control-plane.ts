import http from 'node:http';
import path from 'node:path';
import express from 'express';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { openDatabase, ping, type Database } from './db/database.js';
import { countGpuFallbacks, defaultBinaries } from '@cutroom/render-node';
import { lostWorkerReason, Metrics } from './metrics.js';
import { readQueueSnapshot } from './work/queue-snapshot.js';
import { OpenApiRegistry } from './http/openapi.js';
import { ApiRouter, type Authenticate, type AuthKind, type Principal } from './http/route.js';
import { createHttpApp, createHttpServer } from './http/app.js';
import { bindRequestLog } from './http/front.js';
import { LIST_MAX } from './api/paging.js';
import { requestToken } from './http/credentials.js';
import { HttpError, serviceUnavailable, unauthorized } from './http/errors.js';
import { AuthFailureLimiter } from './http/auth-failures.js';
import { clientAddress, compileTrust } from './http/client-address.js';
import { safeEqual } from './ids.js';
import { DevelopersService } from './services/identity/developers.js';
import { IdentityService } from './services/identity/identity.js';
import { StatsService } from './services/operations/stats.js';
import { PresenceServer } from './realtime/presence-server.js';
import { LocalBus, PostgresBus, type ReplicaBus } from './realtime/replica-bus.js';
import { mountOperations } from './api/operations.js';
import { mountUsers } from './api/users.js';
import { mountDevelopers } from './api/developers.js';
import { mountEditorConfig } from './api/editor-config.js';
import { mountInternal, taskToken } from './api/internal.js';
import { CallbackDelivery } from './integrator-systems/callback-delivery.js';
import { mountProjects } from './api/projects.js';
import { mountActions } from './api/actions.js';
import { mountOverlayImages } from './api/overlay-images.js';
import { ProjectsRepository } from './db/projects-repository.js';
import { ActionsRepository } from './db/actions-repository.js';
import { OverlayImagesRepository } from './db/overlay-images-repository.js';
import { ProjectsService } from './services/projects/projects.js';
import { ActionHistoryService } from './services/projects/action-history.js';
import { OverlayImagesService } from './services/projects/overlay-images.js';
import { overlaySweepJob } from './services/projects/overlay-sweeper.js';
import type { MediaCatalog } from './services/library/media-catalog.js';
import type { OverlayPins } from './services/projects/overlay-pins.js';
import type { MediaUsage } from './services/library/media-usage.js';
import { Scheduler } from './scheduling/scheduler.js';
import { Lifecycle } from './lifecycle/lifecycle.js';
import { HttpServerComponents } from './lifecycle/http-server.js';
import { versionString } from './version.js';
import type { Operator } from './operator/operator.js';
import { newId } from './ids.js';
import { WorkQueue } from './work/work-queue.js';
import { LocalDispatcher } from './work/local-dispatcher.js';
import { SegmentSources } from './services/rendering/segment-sources.js';
import type { Dispatcher } from './work/dispatcher.js';
import { probeKind } from './work/probe-kind.js';
import { MediaInfoService } from './services/ingest/media-info.js';
import { mountMediaInfo } from './api/media-info.js';
import { activeWorkFromTasks, taskProgressMessage } from './work/task-views.js';
import { renderNodeMainPath } from './work/render-node-path.js';
import { mountMediaFiles } from './api/media-files.js';
import { mountFolders } from './api/folders.js';
import { mountSignedFiles } from './api/signed-files.js';
import type { ObjectStore } from './storage/object-store.js';
import { openObjectStore } from './storage/open-object-store.js';
import { UrlSigner } from './storage/signed-url.js';
import { loadSigningSecret } from './storage/signing-secret.js';
import { freeDiskBytes } from './storage/free-disk.js';
import { FsObjectStore } from './storage/fs-object-store.js';
import { stagingSweepJob } from './storage/staging-sweep.js';
import { MediaService } from './services/library/media.js';
import { FolderService } from './services/library/folders.js';
import { StorageQuota } from './services/library/storage-quota.js';
import { ObjectDeletionQueue } from './services/library/object-deletion-queue.js';
import { TestMediaSeeder } from './services/library/test-media-seeder.js';
import type { MediaIngestHook } from './services/ingest/media-ingest-hook.js';
import { IngestService } from './services/ingest/ingest.js';
import { UploadService } from './services/ingest/uploads.js';
import { ImportService } from './services/ingest/imports.js';
import { ThumbnailService, thumbnailFit } from './services/thumbnails/thumbnails.js';
import { ExtractionLimiter } from './services/thumbnails/extraction-limiter.js';
import { WarmFrameDecoders } from './services/thumbnails/warm-frame-decoders.js';
import { mountUploads } from './api/uploads.js';
import { mountImports } from './api/imports.js';
import { mountThumbnails } from './api/thumbnails.js';
import { RenderSources } from './services/rendering/render-sources.js';
import { RenderDelivery } from './services/rendering/render-delivery.js';
import { RenderTaskKind, renderOverlayPins } from './services/rendering/render-task-kind.js';
import { EditingTasks } from './services/rendering/editing-tasks.js';
import { CpuPool } from './project-data/index.js';
import { mountEditingTasks } from './api/editing-tasks.js';
import { mountVoiceovers } from './api/voiceovers.js';
import { VoiceoverService } from './services/voiceover/voiceovers.js';
import { VoiceoverSessionsRepository } from './db/voiceover-sessions-repository.js';
import { WeriftMediaServer } from './voiceover/werift-media-server.js';
import { ProjectImportService } from './services/projects/project-imports.js';
import { mountProjectImports, mountProjectXtl } from './api/project-imports.js';
import { AudioLibraryService } from './services/audio-library/audio-library.js';
import { AudioLibraryImport } from './services/audio-library/audio-library-import.js';
import { mountAudioLibrary } from './api/audio-library.js';
import { mountAdmin } from './api/admin.js';
import { FarmAdmin } from './services/operations/farm-admin.js';
import { defaultConsoleDir, mediaOriginsOf, mountConsolePages } from './http/console-pages.js';

/**
 * The composition root: configuration → database → services → HTTP and WebSocket server.
 * `startControlPlane` starts the components in order and resolves once the server listens;
 * `stop` stops them in reverse order, the path a start that fails half way takes too.
 */
export interface ControlPlane {
  url: string;
  server: http.Server;
  database: Database;
  services: Services;
  /** The in-process operator (OPERATOR=embedded), campaigning for its Lease like any replica. */
  operator: Operator | undefined;
  /** The periodic jobs (`scheduler.names`); `scheduler.runNow(name)` runs one without waiting for its interval. */
  scheduler: Scheduler;
  stop(): Promise<void>;
}

export interface Services {
  developers: DevelopersService;
  identity: IdentityService;
  stats: StatsService;
  presence: PresenceServer;
  metrics: Metrics;
  work: WorkQueue;
  dispatcher: Dispatcher;
  callbacks: CallbackDelivery;
  projects: ProjectsService;
  /** Which projects mention which media (answered by the projects' media index). */
  mediaUsage: MediaUsage;
  actions: ActionHistoryService;
  overlays: OverlayImagesService;
  storage: ObjectStore;
  signer: UrlSigner;
  media: MediaService;
  folders: FolderService;
  objectDeletions: ObjectDeletionQueue;
  editing: EditingTasks;
  ingest: IngestService;
  uploads: UploadService;
  imports: ImportService;
  thumbnails: ThumbnailService;
  voiceovers: VoiceoverService;
  projectImports: ProjectImportService;
  audioLibrary: AudioLibraryService;
  audioLibraryImport: AudioLibraryImport;
}

/** Parts another area provides; each has a default until that area is wired in (and tests may replace them). */
export interface Collaborators {
  /** Describes media objects for `GET /api/projects/<id>/mediafiles`. Default: the media library. */
  mediaCatalog?: MediaCatalog;
  /** Overlay images that running renders use. Default: those of active render tasks. */
  overlayPins?: OverlayPins;
  /** Probe, proxy and thumbnails for stored media (the ingest pipeline). Default: none. */
  mediaIngest?: MediaIngestHook;
}

/** How often queued deletions of stored objects are retried. */
const DELETION_SWEEP_MS = 10 * 60_000;

export async function startControlPlane(config: Config, logger: Logger, collaborators: Collaborators = {}): Promise<ControlPlane> {
  const lifecycle = new Lifecycle(logger);
  try {
    return await assemble(config, logger, collaborators, lifecycle);
  } catch (error) {
    // What started is stopped, in reverse; a failure to stop is logged there, the start's error is the one to report.
    await lifecycle.stop().catch(() => {});
    throw error;
  }
}

/**
 * Builds the services and starts the components in the order that their shutdown reverses:
 * each is started after what it needs, so it stops before it.
 */
async function assemble(config: Config, logger: Logger, collaborators: Collaborators, lifecycle: Lifecycle): Promise<ControlPlane> {
  // ---- infrastructure: stopped last ----
  const database = await lifecycle.open(
    'database',
    () =>
      openDatabase({
        url: config.databaseUrl,
        poolSize: config.databasePoolSize,
        pgliteDir: config.databaseUrl ? undefined : path.join(config.dataDir, 'pglite'),
        onIdleError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
      }),
    (handle) => handle.close(),
  );
  // Off, the replica serves the schema it finds; /readyz answers 503 until it is current.
  if (config.migrateOnStart) await database.migrate();
  const { db } = database;
  // Signed URLs name the address the server listens at when PUBLIC_URL / INTERNAL_URL are unset.
  const listening: { url?: string } = {};
  const baseUrl = (audience: 'browser' | 'internal') => {
    const url = audience === 'internal' ? (config.internalUrl ?? listening.url) : (config.publicUrl ?? listening.url);
    if (url === undefined) throw new Error('signed URLs are available once the server listens');
    return url;
  };
  const metrics = new Metrics();
  const signer = new UrlSigner(await loadSigningSecret(config.signingSecret, config.dataDir, config.profile === 'production' ? db : undefined));
  const opened = await lifecycle.open(
    'object store',
    () => openObjectStore(config.storage, signer, baseUrl, (operation) => metrics.s3Errors.inc({ operation })),
    (handle) => handle.close(),
  );
  const storage = opened.store;
  // Names this process where rows say which process holds something (claimed tasks, voiceover sessions).
  const replicaId = newId();
  // A render node reports to whichever replica it reaches; the owner's socket may be on another.
  const bus = await lifecycle.open<ReplicaBus>(
    'replica bus',
    () => (config.databaseUrl ? PostgresBus.start(config.databaseUrl, db, replicaId, logger.child({ component: 'replica-bus' })) : new LocalBus()),
    (handle) => handle.close(),
  );
  const scheduler = new Scheduler(logger.child({ component: 'scheduler' }));

  // ---- services: made here, holding nothing until their component starts below ----
  const developers = new DevelopersService(db);
  const identity = new IdentityService(db, developers, {
    allowAnonymous: config.allowAnonymous,
    openRegistration: config.openRegistration,
    tokenGraceMs: config.tokenGraceMs,
    tokenBindWaitMs: config.tokenBindWaitMs,
    liveWindowMs: config.wsPingIntervalMs * 3,
    tokenPolicy: config.tokenPolicy,
  });
  const trustProxy = compileTrust(config.trustProxy);
  const authFailures = new AuthFailureLimiter(config.authFailures, logger.child({ component: 'auth' }));
  const work = new WorkQueue(
    db,
    {
      replicaId,
      internalUrl: () => config.internalUrl ?? listening.url ?? '',
      dispatchIntervalMs: config.dispatchIntervalMs,
      watchdogIntervalMs: config.watchdogIntervalMs,
      heartbeatIntervalS: config.taskHeartbeatIntervalS,
    },
    logger.child({ component: 'work' }),
  );
  const kindLimits = { maxAttempts: config.maxAttempts, heartbeatTimeoutS: config.taskHeartbeatTimeoutS };
  work.register(probeKind(kindLimits));
  const mediaInfo = new MediaInfoService(work, {
    ...kindLimits,
    allowPrivateUrls: config.allowPrivateUrls,
    thumbStepMs: config.thumbStepMs,
    thumbWidth: config.thumbWidth,
    thumbHeight: config.thumbHeight,
    maxThumbnails: config.mediaInfoMaxThumbnails,
  });
  work.register(mediaInfo.kind());
  observeWork(work, metrics, database, config.metricsSnapshotIntervalMs);
  const presence = new PresenceServer(
    identity,
    {
      pingIntervalMs: config.wsPingIntervalMs,
      bindTimeoutMs: Math.max(30_000, config.wsPingIntervalMs * 2),
      clientAddress: (req) => clientAddress(req, trustProxy),
      authFailures,
    },
    logger.child({ component: 'presence' }),
    (count) => metrics.openSockets.set(count),
  );
  bus.subscribe('task_progress', (payload) => {
    const { ownerId, message } = payload as { ownerId: string; message: { type: string; payload?: unknown } };
    presence.pushToUser(ownerId, message);
  });
  work.onChange((task) => {
    if (!task.owner_id) return;
    const message = taskProgressMessage(task);
    presence.pushToUser(task.owner_id, message);
    bus.publish('task_progress', { ownerId: task.owner_id, message });
  });
  const objectDeletions = new ObjectDeletionQueue(db, storage, logger.child({ component: 'object-deletions' }));
  // The media library and the projects service each answer a question of the other's: the
  // projects service reaches the library through a function, called once requests arrive.
  const projects: ProjectsService = new ProjectsService(
    new ProjectsRepository(db, database.utf8Param),
    collaborators.mediaCatalog ?? { describe: (ownerId, ids) => media.describeMany(ownerId, ids) },
  );
  const fsRoot = opened.fsRoot;
  const quota = new StorageQuota({
    maxFileSizeBytes: config.maxFileSizeBytes,
    maxUserBytes: config.maxUserBytes,
    minFreeDiskBytes: config.minFreeDiskBytes,
    freeDiskBytes: fsRoot === undefined ? undefined : () => freeDiskBytes(fsRoot),
  });
  const media: MediaService = new MediaService(db, storage, projects, objectDeletions, quota, { urlTtlS: config.mediaUrlTtlS });
  const folders = new FolderService(db, media, objectDeletions);
  const ingest = new IngestService(work, media, storage, {
    ...kindLimits,
    thumbStepMs: config.thumbStepMs,
    thumbWidth: config.thumbWidth,
    thumbHeight: config.thumbHeight,
    allowPrivateUrls: config.allowPrivateUrls,
  });
  for (const kind of ingest.kinds()) work.register(kind);
  const uploads = new UploadService(db, media, storage, ingest, { sessionTtlMs: config.uploadSessionTtlS * 1000 });
  const imports = new ImportService(media, folders, ingest, {
    allowPrivateUrls: config.allowPrivateUrls,
    maxBucketObjects: config.maxBucketObjects,
  });
  const thumbnails = new ThumbnailService(
    media,
    storage,
    new ExtractionLimiter({ concurrency: config.thumbLive.concurrency, maxQueued: config.thumbLive.maxQueued }),
    {
      width: config.thumbWidth,
      height: config.thumbHeight,
      maxCount: LIST_MAX,
      maxLiveCount: config.thumbLive.maxCount,
      cacheBytes: config.thumbCacheBytes,
    },
    new WarmFrameDecoders({
      ffmpeg: defaultBinaries().ffmpeg,
      scaleFilter: thumbnailFit(config.thumbWidth, config.thumbHeight),
      maxProcesses: config.thumbWarm.decoders,
      idleMs: config.thumbWarm.idleS * 1000,
    }),
  );
  const projectImports = new ProjectImportService(
    db,
    storage,
    media,
    folders,
    projects,
    ingest,
    work,
    {
      ...kindLimits,
      sessionTtlMs: config.uploadSessionTtlS * 1000,
      maxBytes: config.projectImports.maxBytes,
      maxEntries: config.projectImports.maxEntries,
      maxRatio: config.projectImports.maxRatio,
      timeoutS: config.projectImports.timeoutS,
      maxFileSizeBytes: config.maxFileSizeBytes,
    },
    logger.child({ component: 'project-imports' }),
  );
  work.register(projectImports.definition());
  // Ingests another replica finished, or that ended while this one was down, are seen at the
  // next interval; one that ends here may be the last of a project import's media: now.
  const importAdvance = scheduler.add({
    name: 'project-import-advance',
    intervalMs: Math.max(1000, config.dispatchIntervalMs),
    run: () => projectImports.advance(),
    failureMessage: 'advancing project imports failed',
  });
  work.onChange((task) => {
    if (task.kind === 'ingest' && ['completed', 'error', 'aborted'].includes(task.state)) importAdvance.trigger();
  });
  const actions = new ActionHistoryService(new ActionsRepository(db), { depth: config.actionHistoryDepth });
  const overlays = new OverlayImagesService(new OverlayImagesRepository(db), identity, collaborators.overlayPins ?? renderOverlayPins(db), {
    maxBytes: config.overlayMaxBytes,
  });
  const mediaIngest = collaborators.mediaIngest ?? ingest;
  const renderDelivery = new RenderDelivery(db, storage, objectDeletions, { outputUrlTtlS: config.renders.outputUrlTtlS });
  const renderKind = new RenderTaskKind(
    db,
    storage,
    media,
    overlays,
    renderDelivery,
    objectDeletions,
    mediaIngest,
    {
      ...kindLimits,
      deadlineS: config.renders.deadlineS,
      sourceDownloadTimeoutMs: config.renders.sourceDownloadTimeoutMs,
      maxFileSizeBytes: config.maxFileSizeBytes,
      // Nodes of the local dispatcher share this machine's disk: they read stored sources and
      // put outputs where the store keeps them.
      localFiles: config.dispatcher === 'local' && storage.localPath !== undefined,
    },
    logger.child({ component: 'renders' }),
  );
  work.register(renderKind.definition());
  const editing = new EditingTasks(
    db,
    work,
    media,
    new RenderSources(db, overlays, { fetchFileTimeoutMs: config.renders.fetchFileTimeoutMs, allowPrivateUrls: config.allowPrivateUrls }),
    renderDelivery,
    {
      gpu: config.renders.gpu === 'nvenc',
      segments: {
        segmentSeconds: config.renders.segmentSeconds,
        minTimelineSeconds: config.renders.segmentMinSeconds,
        sources: new SegmentSources(media, storage),
      },
    },
  );
  const voiceovers = new VoiceoverService(
    new WeriftMediaServer(
      {
        iceServers: config.voiceover.iceServers,
        publicAddress: config.voiceover.publicAddress,
        bindAddress: config.voiceover.bindAddress,
        portRange: config.voiceover.portRange,
        gatherTimeoutMs: 5000,
        reorderLatencyMs: 200,
        lateArrivalGraceMs: 150,
      },
      logger.child({ component: 'voiceover-media' }),
    ),
    new VoiceoverSessionsRepository(db, replicaId),
    media,
    storage,
    mediaIngest,
    identity,
    {
      maxSessions: config.voiceover.maxSessions,
      idleTimeoutMs: config.voiceover.idleTimeoutMs,
      sweepIntervalMs: config.voiceover.sweepIntervalMs,
      recordingDir: path.join(config.dataDir, 'voiceovers'),
    },
    logger.child({ component: 'voiceovers' }),
  );
  metrics.observeVoiceoverSessions(() => voiceovers.localCount);
  const callbacks = new CallbackDelivery(db, config.callbacks, logger.child({ component: 'callbacks' }), (outcome) => metrics.callbacks.inc({ outcome }));
  const audioLibrary = new AudioLibraryService(db, media);
  const audioLibraryImport = new AudioLibraryImport(db, media, storage, objectDeletions, mediaIngest, logger.child({ component: 'audio-library' }), {
    library: config.audioLibrary,
    heartbeatIntervalMs: 10_000,
    staleAfterS: 60,
  });
  // Uploads and project imports in progress are sessions, not tasks: counted by their services.
  const stats = new StatsService(identity, {
    activeWork: async () => ({
      ...(await activeWorkFromTasks(work.store)),
      activeImportFromLocalDriveCount: (await uploads.activeCount()) + (await projectImports.activeCount()),
      activeVoiceoverSessionsCount: await voiceovers.liveCount(),
    }),
  });

  // ---- components, in start order; `stop` runs this list backwards ----
  if (config.testMediaDir !== undefined) {
    const seeder = new TestMediaSeeder(db, media, storage, objectDeletions, mediaIngest, logger.child({ component: 'test-media' }));
    await seeder.seed(config.testMediaDir);
  }
  // Deletions a crash or a storage outage left queued, at start and then periodically.
  await lifecycle.start(
    scheduler.add({
      name: 'object-deletion-sweep',
      intervalMs: DELETION_SWEEP_MS,
      runAtStart: true,
      run: () => objectDeletions.sweep(),
      failureMessage: 'sweep of stored object deletions failed',
    }),
  );
  // Upload sessions past their lifetime go with their bytes.
  await lifecycle.start(
    scheduler.add({
      name: 'upload-sweep',
      intervalMs: config.uploadSweepIntervalMs,
      run: () => uploads.sweepExpired(),
      failureMessage: 'sweep of expired uploads failed',
    }),
  );
  await lifecycle.start(
    scheduler.add({
      name: 'project-import-sweep',
      intervalMs: config.uploadSweepIntervalMs,
      run: () => projectImports.sweepExpired(),
      failureMessage: 'sweep of expired project imports failed',
    }),
  );
  await lifecycle.start(importAdvance);
  const cpu = await lifecycle.open(
    'cpu pool',
    () => new CpuPool(config.cpuThreads, (error) => logger.error({ err: error }, 'a CPU pool thread failed')),
    (pool) => pool.close(),
  );
  // Local render nodes kept warm start with the dispatcher. On a normal stop the work queue has
  // closed it already (closing again is a no-op); this closes it when a start fails half way.
  const dispatcher = await lifecycle.open(
    'dispatcher',
    () => makeDispatcher(config, work, logger),
    (made) => made.close(),
  );
  const services: Services = {
    developers,
    identity,
    stats,
    presence,
    metrics,
    projects,
    mediaUsage: projects,
    actions,
    overlays,
    work,
    dispatcher,
    callbacks,
    storage,
    signer,
    media,
    folders,
    objectDeletions,
    editing,
    ingest,
    uploads,
    imports,
    thumbnails,
    voiceovers,
    projectImports,
    audioLibrary,
    audioLibraryImport,
  };
  const app = buildApp(config, logger, services, {
    database,
    mediaInfo,
    cpu,
    trustProxy,
    authFailures,
    lifecycle,
    publicUrl: () => config.publicUrl ?? listening.url,
  });
  const httpServer = new HttpServerComponents(createHttpServer(app), { port: config.port, host: config.host, shutdownTimeoutMs: config.shutdownTimeoutMs });
  httpServer.server.keepAliveTimeout = 65_000;
  // Stopped once everything below has: requests in flight finish meanwhile, up to SHUTDOWN_TIMEOUT.
  await lifecycle.start(httpServer.drain);
  const operator = config.kubernetes.operator === 'embedded' ? await makeOperator(config, metrics, logger) : undefined;
  if (operator) await lifecycle.start({ name: 'operator', start: () => operator.start(), stop: () => operator.stop() });
  await lifecycle.start({ name: 'thumbnails', stop: () => thumbnails.close() });
  await lifecycle.start(scheduler.add(callbacks.job()));
  // Recordings in progress are kept when it stops, which needs the database and the object store.
  await lifecycle.start({ name: 'voiceovers', start: () => voiceovers.start(), stop: () => voiceovers.close() });
  await lifecycle.start(scheduler.add(voiceovers.sweepJob()));
  if (storage instanceof FsObjectStore) await lifecycle.start(scheduler.add(stagingSweepJob(storage, logger.child({ component: 'staging-sweep' }))));
  await lifecycle.start(scheduler.add(overlaySweepJob(() => overlays.sweep(), config.overlaySweepIntervalMs, logger.child({ component: 'overlay-sweeper' }))));
  await lifecycle.start({ name: 'presence', start: () => presence.attach(httpServer.server), stop: () => presence.close() });
  await lifecycle.start(httpServer.listener);
  const url = httpServer.url;
  if (url === undefined) throw new Error('the HTTP server started without an address');
  listening.url = url;
  // Workers stop first, while the internal API still answers their last reports.
  await lifecycle.start({ name: 'work queue', start: () => work.start(dispatcher, scheduler), stop: () => work.close() });
  const gcJob = dispatcher.gcJob?.();
  if (gcJob) await lifecycle.start(scheduler.add(gcJob));
  await lifecycle.start({ name: 'audio library import', stop: () => audioLibraryImport.stop() });

  logger.info({ url, database: database.driver, profile: config.profile }, 'control plane listening');
  return { url, server: httpServer.server, database, services, operator, scheduler, stop: () => lifecycle.stop() };
}

/** Metrics of the work system: the queue, attempts, lost workers, results and run times. */
function observeWork(work: WorkQueue, metrics: Metrics, database: Database, snapshotIntervalMs: number): void {
  metrics.observeQueue(() => readQueueSnapshot(database.db), snapshotIntervalMs);
  metrics.observePool(() => database.poolStats());
  work.observeAttempts({
    dispatched: (task) => {
      metrics.attempts.inc({ kind: task.kind });
      if (task.attempts === 1) metrics.queueWait.observe({ kind: task.kind }, Math.max(0, Date.now() - new Date(task.created_at).getTime()) / 1000);
    },
    lost: (task, reason) => metrics.lostWorkers.inc({ kind: task.kind, reason: lostWorkerReason(reason) }),
  });
  work.onChange((task) => {
    const result = task.state === 'completed' ? 'completed' : task.state === 'error' ? 'failed' : task.state === 'aborted' ? 'aborted' : undefined;
    if (!result) return;
    metrics.tasksFinished.inc({ kind: task.kind, result });
    if (task.gpu) metrics.gpuFallbacks.inc(countGpuFallbacks(task.log));
    if (task.started_at) metrics.runTime.observe({ kind: task.kind, result }, Math.max(0, Date.now() - new Date(task.started_at).getTime()) / 1000);
  });
}

/**
 * The Kubernetes client library is loaded only where Kubernetes is used (the dispatcher, the
 * embedded operator): it is some 25 MB of heap that every full garbage collection of a control
 * plane with local render nodes would otherwise mark again.
 */
async function makeOperator(config: Config, metrics: Metrics, logger: Logger): Promise<Operator> {
  const [{ loadKubeConfig, makeClients }, { Operator }] = await Promise.all([import('./kubernetes/kube-client.js'), import('./operator/operator.js')]);
  return new Operator(makeClients(loadKubeConfig(config.kubernetes)), config.kubernetes, metrics.registry, logger.child({ component: 'operator' }));
}

/** The dispatcher DISPATCHER names; local render nodes kept warm start with it. */
async function makeDispatcher(config: Config, work: WorkQueue, logger: Logger): Promise<Dispatcher> {
  if (config.dispatcher !== 'kubernetes') {
    return new LocalDispatcher(
      {
        workers: config.workers,
        command: config.renderNodeCommand ?? [process.execPath, renderNodeMainPath()],
        passEnv: config.renderNodeEnv,
        killGraceMs: 5000,
        warm: Math.min(config.warmRenderNodes, config.workers),
      },
      work,
      logger.child({ component: 'local-dispatcher' }),
    );
  }
  const [{ loadKubeConfig, makeClients }, { KubernetesDispatcher }] = await Promise.all([
    import('./kubernetes/kube-client.js'),
    import('./work/kubernetes-dispatcher.js'),
  ]);
  const dispatcher = new KubernetesDispatcher(
    {
      clients: makeClients(loadKubeConfig(config.kubernetes)),
      namespace: config.kubernetes.namespace,
      taskTtlMs: config.kubernetes.taskTtlMs,
      maxActiveTasks: config.kubernetes.maxActiveTasks,
      logger: logger.child({ component: 'kubernetes-dispatcher' }),
    },
    work,
  );
  // Launches wait until the dispatcher knows the cluster's task resources; serving does not.
  dispatcher.start().catch((error: unknown) => logger.error({ err: error }, 'kubernetes dispatcher failed to start'));
  work.onChange((task) => {
    if (task.state === 'running') void dispatcher.recordProgress(task.id, task.progress * 100);
  });
  return dispatcher;
}

/** What the HTTP app needs beyond the services. */
interface AppParts {
  database: Database;
  mediaInfo: MediaInfoService;
  cpu: CpuPool;
  trustProxy: ReturnType<typeof compileTrust>;
  authFailures: AuthFailureLimiter;
  lifecycle: Lifecycle;
  /** The URL the OpenAPI document names (PUBLIC_URL, else the listening address). */
  publicUrl: () => string | undefined;
}

/** The Express app: every API router, the console pages, and signed files in `fs` mode. */
function buildApp(config: Config, logger: Logger, services: Services, parts: AppParts): express.Express {
  const { developers, identity, metrics, work, dispatcher, storage, signer } = services;
  const { db } = parts.database;
  const authenticate = authenticator(config, developers, identity, parts.authFailures);
  const registry = new OpenApiRegistry();
  return createHttpApp(
    { logger, metrics, corsOrigins: config.corsOrigins, bodyLimitBytes: config.bodyLimitBytes, cpu: parts.cpu, trustProxy: parts.trustProxy },
    (app, { jsonBodyReaders, exactRoutes }) => {
      const router = (tag: string) => {
        const expressRouter = express.Router();
        app.use(expressRouter);
        return new ApiRouter(expressRouter, registry, authenticate, tag, jsonBodyReaders, exactRoutes);
      };
      mountOperations(router('operations'), {
        stats: services.stats,
        metrics,
        openapi: () => registry.document({ title: 'Cutroom API', version: versionString(), serverUrl: parts.publicUrl() }),
        ready: async () => {
          // Leaving: no load balancer that still probes should pick this replica again.
          if (parts.lifecycle.isStopping) throw serviceUnavailable('shutting down');
          await ping(db);
          if (!(await parts.database.isMigrated())) throw serviceUnavailable('migrations are not applied');
        },
      });
      mountUsers(router('users'), identity);
      mountDevelopers(router('developers'), developers);
      mountEditorConfig(router('users'), db);
      mountInternal(router('internal'), work);
      mountMediaInfo(router('media info'), parts.mediaInfo);
      mountProjects(router('projects'), services.projects);
      mountActions(router('actions'), services.actions);
      mountOverlayImages(router('overlays'), services.overlays);
      mountMediaFiles(router('media'), services.media);
      mountFolders(router('folders'), services.folders);
      mountEditingTasks(router('editing tasks'), services.editing);
      mountUploads(router('uploads'), services.uploads);
      mountProjectImports(router('project imports'), services.projectImports);
      mountProjectXtl(router('projects'), services.projects);
      mountImports(router('imports'), services.imports);
      mountThumbnails(router('thumbnails'), services.thumbnails, { maxLiveCount: config.thumbLive.maxCount });
      mountVoiceovers(router('voiceovers'), services.voiceovers);
      mountAudioLibrary(router('audio library'), services.audioLibrary, services.audioLibraryImport);
      mountAdmin(router('admin'), new FarmAdmin(db, work, dispatcher, { finishedWithinS: 86_400, failureLogLines: 20 }));
      if (config.console) {
        mountConsolePages(app, {
          dir: defaultConsoleDir(),
          mediaOrigins: mediaOriginsOf(config.storage),
          logger: logger.child({ component: 'console' }),
        });
      }
    },
    (app, exactRoutes) => {
      if (storage.driver !== 'fs') return;
      const expressRouter = express.Router();
      app.use(expressRouter);
      mountSignedFiles(new ApiRouter(expressRouter, registry, authenticate, 'files', [], exactRoutes), {
        store: storage,
        signer,
        maxPutBytes: config.maxFileSizeBytes,
      });
    },
  );
}

/** Resolves the principal each route's kind of credential names; refused guesses count against the address. */
function authenticator(config: Config, developers: DevelopersService, identity: IdentityService, authFailures: AuthFailureLimiter): Authenticate {
  const resolvePrincipal = async (kind: AuthKind, req: express.Request): Promise<Principal[AuthKind]> => {
    switch (kind) {
      case 'none':
        return undefined;
      case 'user':
        return identity.authenticate(requestToken(req));
      case 'apiKey':
        return { developerId: (await developers.authenticate(requestToken(req))).id };
      case 'task':
        return { token: taskToken(req) };
      case 'admin': {
        if (!config.adminToken) throw unauthorized('the admin API is disabled: set ADMIN_TOKEN');
        const token = requestToken(req);
        if (!token || !safeEqual(token, config.adminToken)) throw unauthorized('the ADMIN_TOKEN is required');
        return { admin: true };
      }
    }
  };
  return async <A extends AuthKind>(kind: A, req: express.Request) => {
    if (kind === 'none') return undefined as Principal[A];
    // An address that failed too often is refused before its credential is even looked at.
    const address = req.ip ?? 'unknown';
    await authFailures.check(address);
    let principal: Principal[AuthKind];
    try {
      principal = await resolvePrincipal(kind, req);
    } catch (error) {
      // A credential that was sent and refused; a request without one is a client's mistake, not a guess.
      if (error instanceof HttpError && error.status < 500 && requestToken(req) !== undefined) {
        await authFailures.record(address, { credential: kind, reason: error.message, method: req.method, path: req.path });
      }
      throw error;
    }
    if (kind === 'user') bindRequestLog(req, { userId: (principal as Principal['user']).id });
    return principal as Principal[A];
  };
}
