import os from 'node:os';
import path from 'node:path';
import { isIP, isIPv4 } from 'node:net';
import { randomUUID } from 'node:crypto';
import { RELEASE } from './version.js';
import type { TrustProxy } from './http/client-address.js';
import { NO_POD_OPTIONS, parseRenderPodOptions, RENDER_NODE_UID, type RenderPodOptions } from './operator/render-pod-options.js';

/**
 * The one place that reads the environment. Every variable is parsed and checked at start-up;
 * a bad value stops the process with a message naming the variable and what it accepts.
 */

export type Profile = 'embedded' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  profile: Profile;
  host: string;
  port: number;
  /** Base URL the outside world reaches this service at; unset: the address it listens on. */
  publicUrl: string | undefined;
  /** Base URL render nodes reach the internal API at; unset: the address it listens on. */
  internalUrl: string | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  adminToken: string | undefined;
  /** Serve the web console (the reference editor at `/`, `/console/ops`, `/api/docs`). */
  console: boolean;
  logLevel: LogLevel;
  allowAnonymous: boolean;
  openRegistration: boolean;
  actionHistoryDepth: number;
  /** Largest overlay image (decoded PNG bytes) `POST /api/overlay_img` accepts. */
  overlayMaxBytes: number;
  /** How often overlay images of users gone past the token grace period are deleted. */
  overlaySweepIntervalMs: number;
  allowPrivateUrls: boolean;
  corsOrigins: string[] | '*';
  /** Proxies whose X-Forwarded-For names the client (per-address limits, logs). */
  trustProxy: TrustProxy;
  /** Editor tokens shorter or more guessable than this are refused (0: any). */
  tokenPolicy: { minLength: number; minBits: number };
  /** Failed authentications one client address may make per window before it gets 429 (0: no limit). */
  authFailures: { limit: number; windowS: number };
  bodyLimitBytes: number;
  /** Threads checking large JSON bodies and cutting project data into chunks; 0: on the event loop. */
  cpuThreads: number;
  /** How long an auth token stays valid after its last WebSocket closes. */
  tokenGraceMs: number;
  /** How long an HTTP call with a token not bound yet waits for its `user_event` to be bound, before the 404. */
  tokenBindWaitMs: number;
  wsPingIntervalMs: number;
  /** Connections of this replica's database pool. */
  databasePoolSize: number;
  /** The installation-wide metrics gauges come from a database snapshot at most this old. */
  metricsSnapshotIntervalMs: number;
  /** Apply pending migrations at start-up (off where a Job applies them before a rollout). */
  migrateOnStart: boolean;
  shutdownTimeoutMs: number;
  /** Secret for signed URLs and other HMACs; generated and kept under DATA_DIR when unset (embedded only). */
  signingSecret: string | undefined;
  /** How claimed tasks get a worker: a local child process or a Kubernetes custom resource. */
  dispatcher: 'local' | 'kubernetes';
  /** Render nodes running at once on this machine (local dispatcher). */
  workers: number;
  /** The command starting a render node (local dispatcher); unset: this build's render-node. */
  renderNodeCommand: string[] | undefined;
  /** Render nodes kept started and waiting for a task (local dispatcher). */
  warmRenderNodes: number;
  maxAttempts: number;
  /** A working task without a report for this long is reclaimed by the watchdog. */
  taskHeartbeatTimeoutS: number;
  /** How often render nodes report at least. */
  taskHeartbeatIntervalS: number;
  dispatchIntervalMs: number;
  watchdogIntervalMs: number;
  /** Timeline thumbnails: one every this many ms, fitted in this box. */
  thumbStepMs: number;
  thumbWidth: number;
  thumbHeight: number;
  /** Exact frames extracted now (`cached=false`): ffmpeg runs at once in this process, frames waiting, and frames per request. */
  thumbLive: { concurrency: number; maxQueued: number; maxCount: number };
  /** Exact frames from scrub copies: ffmpeg processes kept warm (0: none, one spawn per frame), and how long one waits unused. */
  thumbWarm: { decoders: number; idleS: number };
  /** Prepared thumbnails kept in memory, bytes. */
  thumbCacheBytes: number;
  /** Media info tasks answer at most this many thumbnails (long files get a wider step). */
  mediaInfoMaxThumbnails: number;
  /** An upload session not complete after this long is removed with its bytes. */
  uploadSessionTtlS: number;
  uploadSweepIntervalMs: number;
  /** Most objects one bucket import takes. */
  maxBucketObjects: number;
  callbacks: {
    intervalMs: number;
    concurrency: number;
    timeoutMs: number;
    maxAttempts: number;
    maxAgeMs: number;
    baseBackoffMs: number;
    maxBackoffMs: number;
  };
  /** Variables a local render node inherits (PATH, FFMPEG_PATH, ...); nothing else leaks to it. */
  renderNodeEnv: Record<string, string>;
  kubernetes: KubernetesConfig;
  /** Where objects (media, proxies, thumbnails, outputs) live. */
  storage: StorageConfig;
  /** How long a signed media URL (previewUrl, originalUrl) stays valid. */
  mediaUrlTtlS: number;
  /** Largest single media file; 0: no limit. */
  maxFileSizeBytes: number;
  /** Most bytes of media one user may hold; 0: no limit. */
  maxUserBytes: number;
  /** fs storage: refuse new media when the disk would keep less than this free. */
  minFreeDiskBytes: number;
  /** Files shared with every user as `test` media, copied into the store at start-up. */
  testMediaDir: string | undefined;
  /** The audio library's JSON list and the folder its relative paths start from; unset: no import. */
  audioLibrary: { listPath: string; filesDir: string } | undefined;
  renders: RenderConfig;
  voiceover: VoiceoverConfig;
  projectImports: ProjectImportConfig;
}

/** Voiceover recording (`/api/voiceovers`): WebRTC sessions held by this process. */
export interface VoiceoverConfig {
  /** STUN/TURN servers the media server gathers candidates through; none by default. */
  iceServers: IceServer[];
  /** An address announced in host candidates besides the machine's own (a 1:1 NAT's public IP). */
  publicAddress: string | undefined;
  /** The only local IPv4 address media binds and announces; unset: every interface. */
  bindAddress: string | undefined;
  /** UDP ports media uses, inclusive; unset: any free port. */
  portRange: [number, number] | undefined;
  /** Sessions this process holds at once; one more is a 503. */
  maxSessions: number;
  /** A session that has not started recording after this long is closed. */
  idleTimeoutMs: number;
  /** How often sessions of owners gone past the token grace period are looked for. */
  sweepIntervalMs: number;
}

export interface IceServer {
  urls: string;
  username?: string;
  credential?: string;
}

/** Project imports (`/api/upload/project`): the limits an uploaded zip is unpacked under. */
export interface ProjectImportConfig {
  /** Largest zip, and most bytes its files may unpack to together. */
  maxBytes: number;
  /** Most entries (files and folders) one zip may hold. */
  maxEntries: number;
  /** Largest uncompressed / compressed ratio of one entry past its first MiB. */
  maxRatio: number;
  /** Wall-clock limit of the unpack. */
  timeoutS: number;
}

/** Editing tasks (`/api/task/editing`). */
export interface RenderConfig {
  /** `nvenc`: render tasks ask for GPU encoding (and, on Kubernetes, a GPU node). */
  gpu: 'off' | 'nvenc';
  /** Wall-clock limit of one render attempt. */
  deadlineS: number;
  /** Validity of `outputUrls` and of `render_complete`'s `downloadUrl`. */
  outputUrlTtlS: number;
  /** The call to the developer's fetchFileUrl at submission: longer is a failure. */
  fetchFileTimeoutMs: number;
  /** Downloading a developer's media: no answer, or no bytes, for this long fails it. */
  sourceDownloadTimeoutMs: number;
  /** Segmented renders: target length of one segment in seconds (0: renders stay whole). */
  segmentSeconds: number;
  /** Timelines shorter than this render whole. */
  segmentMinSeconds: number;
}

export type StorageConfig =
  | { driver: 'fs'; root: string }
  | {
      driver: 's3';
      /** Unset: AWS itself. */
      endpoint: string | undefined;
      /** Endpoint browsers reach for presigned media URLs, when it differs from `endpoint` (a cluster-internal MinIO). */
      publicEndpoint: string | undefined;
      bucket: string;
      accessKey: string | undefined;
      secretKey: string | undefined;
      region: string;
      forcePathStyle: boolean;
    };

export interface Toleration {
  key: string;
  operator: 'Exists' | 'Equal';
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** The kubernetes dispatcher and the operator (DISPATCHER=kubernetes, `cutroom operator`). */
export interface KubernetesConfig {
  /** KUBECONFIG; unset: the pod's service account in a cluster, else ~/.kube/config. */
  kubeconfigPath: string | undefined;
  /** Running in a pod (KUBERNETES_SERVICE_HOST is set by the kubelet). */
  inCluster: boolean;
  namespace: string;
  /** Custom resources that finished are deleted this long after they finished. */
  taskTtlMs: number;
  /** Unfinished task resources this control plane keeps at once (its dispatcher capacity). */
  maxActiveTasks: number;
  /** `embedded`: this control-plane process also runs the operator (leader-elected). */
  operator: 'off' | 'embedded';
  operatorPort: number;
  operatorWorkers: number;
  operatorResyncMs: number;
  leaseName: string;
  leaseDurationMs: number;
  /** Who holds the Lease: unique per operator process. */
  operatorIdentity: string;
  /** A pod that cannot start (image pull, missing Secret) fails its attempt after this long. */
  startTimeoutMs: number;
  job: RenderJobConfig;
}

/** What the operator puts in every render-node Job. */
export interface RenderJobConfig {
  image: string;
  gpuImage: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets: string[];
  serviceAccountName: string | undefined;
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
  scratchSize: string;
  nodeSelector: Record<string, string>;
  gpuNodeSelector: Record<string, string>;
  gpuTolerations: Toleration[];
  ttlSecondsAfterFinished: number;
  /** What the platform adds to the pods of software and of GPU tasks. */
  cpuPod: RenderPodOptions;
  gpuPod: RenderPodOptions;
  /** The UID render nodes run as; undefined: the platform's choice (OpenShift's restricted SCC). */
  runAsUid: number | undefined;
}

/** What a local render node may see of our environment: where its tools are, and no secrets. */
const RENDER_NODE_PASSTHROUGH = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'FFMPEG_PATH', 'FFPROBE_PATH', 'SCRATCH_DIR', 'RENDER_GPU'];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly accepts: string,
    value: string,
  ) {
    super(`${variable}=${JSON.stringify(value)} is not valid: ${variable} accepts ${accepts}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class EnvReader {
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(name, `an integer from ${min} to ${max}`, value);
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    throw new ConfigError(name, 'true or false', value);
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(choices as readonly string[]).includes(value)) {
      throw new ConfigError(name, `one of ${choices.join(', ')}`, value);
    }
    return value as T;
  }

  url(name: string, fallback: string | undefined, protocols: string[]): string | undefined {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, `a URL (${protocols.join(' or ')})`, value);
    }
    if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
      throw new ConfigError(name, `a URL (${protocols.join(' or ')})`, value);
    }
    return value.replace(/\/+$/, '');
  }

  /** A Kubernetes resource quantity: 500m, 2, 1.5Gi, 20G. */
  quantity(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    if (!/^(\d+(\.\d+)?|\.\d+)([KMGTPE]i|[numkMGTPE])?$/.test(value)) {
      throw new ConfigError(name, 'a Kubernetes quantity (e.g. 500m, 2, 4Gi)', value);
    }
    return value;
  }

  /** `key=value,key2=value2` labels (a node selector); `none` for no labels. */
  labels(name: string, fallback: string): Record<string, string> {
    const value = this.raw(name) ?? fallback;
    const labels: Record<string, string> = {};
    if (value === 'none') return labels;
    for (const pair of value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const match = /^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/.exec(pair);
      if (!match) throw new ConfigError(name, 'comma-separated key=value labels', value);
      labels[match[1]!] = match[2]!;
    }
    return labels;
  }

  /** `key[=value]:Effect` tolerations, comma-separated (no value: any value, operator Exists); `none`. */
  tolerations(name: string, fallback: string): Toleration[] {
    const value = this.raw(name) ?? fallback;
    if (value === 'none') return [];
    return value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((item) => {
        const match = /^([A-Za-z0-9][-A-Za-z0-9_./]*)(?:=([-A-Za-z0-9_.]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(item);
        if (!match) throw new ConfigError(name, 'comma-separated key[=value]:NoSchedule|PreferNoSchedule|NoExecute', value);
        const [, key, tolerated, effect] = match;
        return tolerated === undefined
          ? { key: key!, operator: 'Exists' as const, effect: effect as Toleration['effect'] }
          : { key: key!, operator: 'Equal' as const, value: tolerated, effect: effect as Toleration['effect'] };
      });
  }

  /** `true`, `false`, a hop count, or comma-separated addresses, subnets and loopback/linklocal/uniquelocal. */
  trustProxy(name: string, fallback: string[]): TrustProxy {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    if (/^\d+$/.test(value)) return Number(value);
    const list = value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    const named = ['loopback', 'linklocal', 'uniquelocal'];
    for (const item of list) {
      if (!named.includes(item) && !/^[\da-fA-F.:]+(\/\d{1,3})?$/.test(item)) {
        throw new ConfigError(name, 'true, false, a number of hops, or addresses/subnets and loopback, linklocal, uniquelocal', value);
      }
    }
    return list;
  }

  /** Render-node pod options as JSON (see render-pod-options.ts); unset: none. */
  podOptions(name: string): RenderPodOptions {
    const value = this.raw(name);
    if (value === undefined) return NO_POD_OPTIONS;
    const parsed = parseRenderPodOptions(value);
    if ('error' in parsed) throw new ConfigError(name, `a JSON object of render-node pod options (${parsed.error})`, value);
    return parsed.options;
  }

  list(name: string): string[] {
    return (this.raw(name) ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  }

  bytes(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const match = /^(\d+)\s*([kmgt]?)i?b?$/i.exec(value);
    if (!match) throw new ConfigError(name, 'a size in bytes, optionally with k, m, g or t (e.g. 20mb)', value);
    const units: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
    return Number(match[1]) * units[(match[2] ?? '').toLowerCase()]!;
  }
}

export interface LoadOptions {
  /** The operator process has no database nor storage: DATABASE_URL, SIGNING_SECRET and S3_* are not required for it. */
  needsDatabase?: boolean;
}

export function loadConfig(env: Env, cwd = process.cwd(), options: LoadOptions = {}): Config {
  const read = new EnvReader(env);
  const profile = read.oneOf<Profile>('PROFILE', ['embedded', 'production'], 'embedded');
  const embedded = profile === 'embedded';

  const host = read.string('HOST', '0.0.0.0');
  const port = read.int('PORT', 8080, 0, 65535);
  const databaseUrl = read.url('DATABASE_URL', undefined, ['postgres', 'postgresql']);
  if (!embedded && databaseUrl === undefined && options.needsDatabase !== false) {
    throw new ConfigError('DATABASE_URL', 'a postgres:// URL (required when PROFILE=production)', '');
  }

  const signingSecret = read.raw('SIGNING_SECRET');
  const operatorOnly = options.needsDatabase === false;
  if (signingSecret !== undefined && signingSecret.length < 16) {
    throw new ConfigError('SIGNING_SECRET', 'a secret of at least 16 characters', '********');
  }
  const dataDir = path.resolve(cwd, read.string('DATA_DIR', './data'));
  const testMediaDir = read.raw('TEST_MEDIA_DIR');
  const audiolibList = read.raw('AUDIOLIB_JSON_LIST');
  const audiolibDir = read.raw('AUDIOLIB_FILES_DIR');
  if (audiolibDir !== undefined && audiolibList === undefined) {
    throw new ConfigError('AUDIOLIB_JSON_LIST', 'the path of the audio library list (AUDIOLIB_FILES_DIR is set without it)', '');
  }

  const cors = read.raw('CORS_ORIGINS');
  const config: Config = {
    profile,
    host,
    port,
    publicUrl: read.url('PUBLIC_URL', undefined, ['http', 'https']),
    internalUrl: read.url('INTERNAL_URL', undefined, ['http', 'https']),
    dataDir,
    databaseUrl,
    adminToken: read.raw('ADMIN_TOKEN'),
    console: read.bool('CONSOLE', true),
    logLevel: read.oneOf<LogLevel>('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    allowAnonymous: read.bool('ALLOW_ANONYMOUS', embedded),
    openRegistration: read.bool('OPEN_REGISTRATION', embedded),
    actionHistoryDepth: read.int('ACTION_HISTORY_DEPTH', 1000, 1, 1_000_000),
    overlayMaxBytes: read.bytes('OVERLAY_MAX_BYTES', 8 * 2 ** 20),
    overlaySweepIntervalMs: read.int('OVERLAY_SWEEP_INTERVAL_MS', 60_000, 50, 86_400_000),
    allowPrivateUrls: read.bool('ALLOW_PRIVATE_URLS', false),
    corsOrigins: cors === undefined || cors === '*' ? '*' : cors.split(',').map((o) => o.trim()),
    trustProxy: read.trustProxy('TRUST_PROXY', ['loopback', 'linklocal', 'uniquelocal']),
    tokenPolicy: {
      minLength: read.int('TOKEN_MIN_LENGTH', embedded ? 0 : 20, 0, 512),
      minBits: read.int('TOKEN_MIN_BITS', embedded ? 0 : 48, 0, 512),
    },
    authFailures: {
      limit: read.int('AUTH_FAILURE_LIMIT', 30, 0, 1_000_000),
      windowS: read.int('AUTH_FAILURE_WINDOW_S', 60, 1, 86_400),
    },
    bodyLimitBytes: read.bytes('BODY_LIMIT', 32 * 2 ** 20),
    cpuThreads: read.int('CPU_THREADS', Math.min(4, Math.max(1, os.availableParallelism() - 1)), 0, 64),
    tokenGraceMs: read.int('TOKEN_GRACE_SECONDS', 300, 0, 7 * 86400) * 1000,
    tokenBindWaitMs: read.int('TOKEN_BIND_WAIT_MS', 2000, 0, 30_000),
    wsPingIntervalMs: read.int('WS_PING_INTERVAL_MS', 20_000, 50, 600_000),
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 10, 1, 1000),
    metricsSnapshotIntervalMs: read.int('METRICS_SNAPSHOT_INTERVAL_MS', 15_000, 1000, 600_000),
    migrateOnStart: read.bool('MIGRATE_ON_START', true),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    signingSecret,
    storage: operatorOnly ? { driver: 'fs', root: path.join(dataDir, 'objects') } : readStorage(read, embedded, dataDir),
    mediaUrlTtlS: read.int('MEDIA_URL_TTL_SECONDS', 4 * 3600, 60, 5 * 86400),
    maxFileSizeBytes: read.bytes('MAX_FILE_SIZE', 20 * 2 ** 30),
    maxUserBytes: read.bytes('MAX_USER_BYTES', 0),
    minFreeDiskBytes: read.bytes('MIN_FREE_DISK_BYTES', 2 ** 30),
    testMediaDir: testMediaDir === undefined ? undefined : path.resolve(cwd, testMediaDir),
    audioLibrary:
      audiolibList === undefined
        ? undefined
        : {
            listPath: path.resolve(cwd, audiolibList),
            filesDir: path.resolve(cwd, audiolibDir ?? path.dirname(audiolibList)),
          },
    dispatcher: read.oneOf('DISPATCHER', ['local', 'kubernetes'], 'local'),
    workers: read.int('WORKERS', os.availableParallelism(), 1, 1024),
    renderNodeCommand: read.raw('RENDER_NODE_COMMAND')?.split(/\s+/),
    // One waiting node takes the process start off the next task; a custom RENDER_NODE_COMMAND
    // may not know `--wait`, so it gets none unless asked.
    warmRenderNodes: read.int('WARM_RENDER_NODES', read.raw('RENDER_NODE_COMMAND') === undefined ? 1 : 0, 0, 64),
    maxAttempts: read.int('MAX_ATTEMPTS', 3, 1, 100),
    taskHeartbeatTimeoutS: read.int('TASK_HEARTBEAT_TIMEOUT_S', 60, 1, 86_400),
    taskHeartbeatIntervalS: read.int('TASK_HEARTBEAT_INTERVAL_S', 5, 1, 3600),
    dispatchIntervalMs: read.int('DISPATCH_INTERVAL_MS', 1000, 10, 60_000),
    watchdogIntervalMs: read.int('WATCHDOG_INTERVAL_MS', 5000, 10, 600_000),
    thumbStepMs: read.int('THUMB_STEP_MS', 1000, 40, 600_000),
    thumbWidth: read.int('THUMB_WIDTH', 160, 16, 1920),
    thumbHeight: read.int('THUMB_HEIGHT', 90, 16, 1080),
    thumbLive: {
      concurrency: read.int('THUMB_LIVE_CONCURRENCY', Math.max(1, Math.min(4, os.availableParallelism() - 1)), 1, 256),
      maxQueued: read.int('THUMB_LIVE_QUEUE', 200, 0, 100_000),
      maxCount: read.int('THUMB_LIVE_MAX_COUNT', 50, 1, 1000),
    },
    thumbWarm: {
      decoders: read.int('THUMB_WARM_DECODERS', 4, 0, 64),
      idleS: read.int('THUMB_WARM_IDLE_S', 60, 1, 86_400),
    },
    thumbCacheBytes: read.int('THUMB_CACHE_MB', 64, 0, 65_536) * 2 ** 20,
    mediaInfoMaxThumbnails: read.int('MEDIAINFO_MAX_THUMBNAILS', 300, 1, 100_000),
    uploadSessionTtlS: read.int('UPLOAD_SESSION_TTL_S', 86_400, 1, 30 * 86_400),
    uploadSweepIntervalMs: read.int('UPLOAD_SWEEP_INTERVAL_MS', 600_000, 10, 86_400_000),
    maxBucketObjects: read.int('MAX_BUCKET_OBJECTS', 1000, 1, 100_000),
    callbacks: {
      intervalMs: read.int('CALLBACK_POLL_INTERVAL_MS', 1000, 10, 60_000),
      concurrency: read.int('CALLBACK_CONCURRENCY', 16, 1, 1000),
      timeoutMs: read.int('CALLBACK_TIMEOUT_MS', 10_000, 100, 300_000),
      maxAttempts: read.int('CALLBACK_MAX_ATTEMPTS', 12, 1, 1000),
      maxAgeMs: read.int('CALLBACK_MAX_AGE_S', 86_400, 1, 30 * 86_400) * 1000,
      baseBackoffMs: read.int('CALLBACK_BACKOFF_MS', 1000, 1, 3_600_000),
      maxBackoffMs: read.int('CALLBACK_MAX_BACKOFF_MS', 300_000, 1, 86_400_000),
    },
    renders: {
      gpu: read.oneOf('RENDER_GPU', ['off', 'nvenc'], 'off'),
      deadlineS: read.int('RENDER_DEADLINE_S', 6 * 3600, 60, 7 * 86_400),
      // SigV4 presigned URLs last at most 7 days.
      outputUrlTtlS: read.int('OUTPUT_URL_TTL_SECONDS', 86_400, 60, 7 * 86_400),
      fetchFileTimeoutMs: read.int('FETCH_FILE_TIMEOUT_MS', 10_000, 100, 600_000),
      sourceDownloadTimeoutMs: read.int('SOURCE_DOWNLOAD_TIMEOUT_MS', 30_000, 100, 3_600_000),
      segmentSeconds: read.int('RENDER_SEGMENT_SECONDS', 60, 0, 86_400),
      segmentMinSeconds: read.int('RENDER_SEGMENT_MIN_SECONDS', 180, 0, 7 * 86_400),
    },
    voiceover: readVoiceover(read),
    projectImports: {
      maxBytes: read.bytes('PROJECT_IMPORT_MAX_BYTES', 20 * 2 ** 30),
      maxEntries: read.int('PROJECT_IMPORT_MAX_ENTRIES', 1000, 1, 100_000),
      maxRatio: read.int('PROJECT_IMPORT_MAX_RATIO', 100, 2, 100_000),
      timeoutS: read.int('PROJECT_IMPORT_TIMEOUT_S', 3600, 10, 7 * 86_400),
    },
    renderNodeEnv: Object.fromEntries(RENDER_NODE_PASSTHROUGH.flatMap((name) => (env[name] !== undefined ? [[name, env[name]!]] : []))),
    kubernetes: loadKubernetesConfig(read),
  };
  if (config.taskHeartbeatIntervalS * 2 > config.taskHeartbeatTimeoutS) {
    throw new ConfigError(
      'TASK_HEARTBEAT_TIMEOUT_S',
      `at least twice TASK_HEARTBEAT_INTERVAL_S (${config.taskHeartbeatIntervalS})`,
      String(config.taskHeartbeatTimeoutS),
    );
  }
  return config;
}

function loadKubernetesConfig(read: EnvReader): KubernetesConfig {
  const imageTag = `${RELEASE.major}.${RELEASE.minor}`;
  const namespace = read.string('KUBERNETES_NAMESPACE', 'default');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
    throw new ConfigError('KUBERNETES_NAMESPACE', 'a namespace name (lowercase letters, digits and -)', namespace);
  }
  const leaseName = read.string('OPERATOR_LEASE_NAME', 'cutroom-operator');
  return {
    kubeconfigPath: read.raw('KUBECONFIG'),
    inCluster: read.raw('KUBERNETES_SERVICE_HOST') !== undefined,
    namespace,
    taskTtlMs: read.int('KUBERNETES_TASK_TTL_SECONDS', 900, 0, 30 * 86400) * 1000,
    maxActiveTasks: read.int('KUBERNETES_MAX_ACTIVE_TASKS', 100, 1, 100_000),
    operator: read.oneOf('OPERATOR', ['off', 'embedded'], 'off'),
    operatorPort: read.int('OPERATOR_PORT', 8081, 0, 65535),
    operatorWorkers: read.int('OPERATOR_WORKERS', 4, 1, 64),
    operatorResyncMs: read.int('OPERATOR_RESYNC_SECONDS', 300, 1, 86400) * 1000,
    leaseName,
    leaseDurationMs: read.int('OPERATOR_LEASE_DURATION_SECONDS', 15, 1, 3600) * 1000,
    operatorIdentity: read.string('OPERATOR_IDENTITY', `${os.hostname()}_${randomUUID()}`),
    startTimeoutMs: read.int('OPERATOR_START_TIMEOUT_SECONDS', 300, 1, 86400) * 1000,
    job: {
      image: read.string('RENDER_NODE_IMAGE', `ghcr.io/cutroom/render-node:${imageTag}`),
      gpuImage: read.string('RENDER_NODE_GPU_IMAGE', `ghcr.io/cutroom/render-node:${imageTag}-nvidia`),
      imagePullPolicy: read.oneOf('RENDER_NODE_IMAGE_PULL_POLICY', ['Always', 'IfNotPresent', 'Never'], 'IfNotPresent'),
      imagePullSecrets: read.list('RENDER_NODE_IMAGE_PULL_SECRETS'),
      serviceAccountName: read.raw('RENDER_NODE_SERVICE_ACCOUNT'),
      requests: { cpu: read.quantity('RENDER_NODE_CPU_REQUEST', '1'), memory: read.quantity('RENDER_NODE_MEMORY_REQUEST', '1Gi') },
      limits: { cpu: read.quantity('RENDER_NODE_CPU_LIMIT', '4'), memory: read.quantity('RENDER_NODE_MEMORY_LIMIT', '4Gi') },
      scratchSize: read.quantity('RENDER_NODE_SCRATCH_SIZE', '20Gi'),
      nodeSelector: read.labels('RENDER_NODE_NODE_SELECTOR', ''),
      gpuNodeSelector: read.labels('RENDER_NODE_GPU_NODE_SELECTOR', 'nvidia.com/gpu.present=true'),
      gpuTolerations: read.tolerations('RENDER_NODE_GPU_TOLERATIONS', 'nvidia.com/gpu:NoSchedule'),
      ttlSecondsAfterFinished: read.int('KUBERNETES_JOB_TTL_SECONDS', 3600, 0, 30 * 86400),
      cpuPod: read.podOptions('RENDER_NODE_CPU_POD'),
      gpuPod: read.podOptions('RENDER_NODE_GPU_POD'),
      runAsUid: read.raw('RENDER_NODE_UID') === 'none' ? undefined : read.int('RENDER_NODE_UID', RENDER_NODE_UID, 1, 2 ** 31 - 1),
    },
  };
}

function readVoiceover(read: EnvReader): VoiceoverConfig {
  const bindAddress = read.raw('VOICEOVER_BIND_ADDRESS');
  if (bindAddress !== undefined && !isIPv4(bindAddress)) {
    throw new ConfigError('VOICEOVER_BIND_ADDRESS', 'an IPv4 address of this machine', bindAddress);
  }
  const publicAddress = read.raw('VOICEOVER_PUBLIC_ADDRESS');
  if (publicAddress !== undefined && isIP(publicAddress) === 0) {
    throw new ConfigError('VOICEOVER_PUBLIC_ADDRESS', 'an IP address (the NAT address browsers reach this machine at)', publicAddress);
  }
  const range = read.raw('VOICEOVER_PORT_RANGE');
  let portRange: [number, number] | undefined;
  if (range !== undefined) {
    const match = /^(\d+)-(\d+)$/.exec(range);
    const [min, max] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
    if (!match || min < 1024 || max > 65535 || min > max) {
      throw new ConfigError('VOICEOVER_PORT_RANGE', 'MIN-MAX UDP ports from 1024 to 65535 (e.g. 40000-40199)', range);
    }
    portRange = [min, max];
  }
  return {
    iceServers: parseIceServers(read.raw('VOICEOVER_ICE_SERVERS')),
    publicAddress,
    bindAddress,
    portRange,
    maxSessions: read.int('VOICEOVER_MAX_SESSIONS', 50, 0, 100_000),
    idleTimeoutMs: read.int('VOICEOVER_IDLE_TIMEOUT_SECONDS', 120, 1, 86_400) * 1000,
    sweepIntervalMs: read.int('VOICEOVER_SWEEP_INTERVAL_MS', 10_000, 50, 3_600_000),
  };
}

const ICE_SERVERS_ACCEPTS =
  'a JSON array of {urls, username?, credential?}, or comma-separated stun:/turn:/turns: URLs, credentials as turn:USER:PASSWORD@HOST:PORT';

/** `VOICEOVER_ICE_SERVERS`: the browser's RTCIceServer JSON, or URLs with credentials in them. */
export function parseIceServers(value: string | undefined): IceServer[] {
  if (value === undefined) return [];
  const fail = (): never => {
    // The value may hold TURN credentials: never echoed.
    throw new ConfigError('VOICEOVER_ICE_SERVERS', ICE_SERVERS_ACCEPTS, '********');
  };
  const checkUrl = (url: unknown): string => {
    if (typeof url !== 'string' || !/^(stun|stuns|turn|turns):[^\s]+$/i.test(url)) fail();
    return url as string;
  };
  if (value.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return fail();
    }
    if (!Array.isArray(parsed)) return fail();
    return parsed.flatMap((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null) return fail();
      const { urls, username, credential } = entry as Record<string, unknown>;
      if ((username !== undefined && typeof username !== 'string') || (credential !== undefined && typeof credential !== 'string')) fail();
      const list = Array.isArray(urls) ? urls : [urls];
      return list.map((url) => ({
        urls: checkUrl(url),
        ...(username !== undefined ? { username: username as string } : {}),
        ...(credential !== undefined ? { credential: credential as string } : {}),
      }));
    });
  }
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const match = /^(stun|stuns|turn|turns):(?:([^:@]+):([^@]*)@)?(.+)$/i.exec(item);
      if (!match) return fail();
      const [, scheme, username, credential, rest] = match;
      return {
        urls: checkUrl(`${scheme!.toLowerCase()}:${rest}`),
        ...(username !== undefined ? { username: decodeURIComponent(username), credential: decodeURIComponent(credential ?? '') } : {}),
      };
    });
}

function readStorage(read: EnvReader, embedded: boolean, dataDir: string): StorageConfig {
  const driver = read.oneOf<'fs' | 's3'>('STORAGE', ['fs', 's3'], embedded ? 'fs' : 's3');
  if (driver === 'fs') return { driver, root: path.join(dataDir, 'objects') };
  const bucket = read.raw('S3_BUCKET');
  if (bucket === undefined) throw new ConfigError('S3_BUCKET', 'a bucket name (required when STORAGE=s3)', '');
  const accessKey = read.raw('S3_ACCESS_KEY');
  const secretKey = read.raw('S3_SECRET_KEY');
  if ((accessKey === undefined) !== (secretKey === undefined)) {
    // One without the other is a typo; neither means the SDK's default credential chain (IAM roles).
    throw new ConfigError(accessKey === undefined ? 'S3_ACCESS_KEY' : 'S3_SECRET_KEY', 'a value when the other S3 key is set', '');
  }
  return {
    driver,
    endpoint: read.url('S3_ENDPOINT', undefined, ['http', 'https']),
    publicEndpoint: read.url('S3_PUBLIC_ENDPOINT', undefined, ['http', 'https']),
    bucket,
    accessKey,
    secretKey,
    region: read.string('S3_REGION', 'us-east-1'),
    // MinIO and most self-hosted stores want path-style addressing; AWS prefers virtual hosts.
    forcePathStyle: read.bool('S3_FORCE_PATH_STYLE', read.raw('S3_ENDPOINT') !== undefined),
  };
}
