import path from 'node:path';

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
  logLevel: LogLevel;
  allowAnonymous: boolean;
  openRegistration: boolean;
  actionHistoryDepth: number;
  allowPrivateUrls: boolean;
  corsOrigins: string[] | '*';
  bodyLimitBytes: number;
  /** How long an auth token stays valid after its last WebSocket closes. */
  tokenGraceMs: number;
  wsPingIntervalMs: number;
  shutdownTimeoutMs: number;
  /** Secret for signed URLs and other HMACs; generated and kept under DATA_DIR when unset (embedded only). */
  signingSecret: string | undefined;
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

  bytes(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const match = /^(\d+)\s*([kmgt]?)i?b?$/i.exec(value);
    if (!match) throw new ConfigError(name, 'a size in bytes, optionally with k, m, g or t (e.g. 20mb)', value);
    const units: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
    return Number(match[1]) * units[(match[2] ?? '').toLowerCase()]!;
  }
}

export function loadConfig(env: Env, cwd = process.cwd()): Config {
  const read = new EnvReader(env);
  const profile = read.oneOf<Profile>('PROFILE', ['embedded', 'production'], 'embedded');
  const embedded = profile === 'embedded';

  const host = read.string('HOST', '0.0.0.0');
  const port = read.int('PORT', 8080, 0, 65535);
  const databaseUrl = read.url('DATABASE_URL', undefined, ['postgres', 'postgresql']);
  if (!embedded && databaseUrl === undefined) {
    throw new ConfigError('DATABASE_URL', 'a postgres:// URL (required when PROFILE=production)', '');
  }

  const signingSecret = read.raw('SIGNING_SECRET');
  if (!embedded && signingSecret === undefined) {
    // Replicas must verify each other's signed URLs, so a per-replica generated secret would not do.
    throw new ConfigError('SIGNING_SECRET', 'a secret string shared by every replica (required when PROFILE=production)', '');
  }
  if (signingSecret !== undefined && signingSecret.length < 16) {
    throw new ConfigError('SIGNING_SECRET', 'a secret of at least 16 characters', '********');
  }
  const dataDir = path.resolve(cwd, read.string('DATA_DIR', './data'));
  const testMediaDir = read.raw('TEST_MEDIA_DIR');

  const cors = read.raw('CORS_ORIGINS');
  return {
    profile,
    host,
    port,
    publicUrl: read.url('PUBLIC_URL', undefined, ['http', 'https']),
    internalUrl: read.url('INTERNAL_URL', undefined, ['http', 'https']),
    dataDir,
    databaseUrl,
    adminToken: read.raw('ADMIN_TOKEN'),
    logLevel: read.oneOf<LogLevel>(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
    allowAnonymous: read.bool('ALLOW_ANONYMOUS', embedded),
    openRegistration: read.bool('OPEN_REGISTRATION', embedded),
    actionHistoryDepth: read.int('ACTION_HISTORY_DEPTH', 1000, 1, 1_000_000),
    allowPrivateUrls: read.bool('ALLOW_PRIVATE_URLS', false),
    corsOrigins: cors === undefined || cors === '*' ? '*' : cors.split(',').map((o) => o.trim()),
    bodyLimitBytes: read.bytes('BODY_LIMIT', 32 * 2 ** 20),
    tokenGraceMs: read.int('TOKEN_GRACE_SECONDS', 300, 0, 7 * 86400) * 1000,
    wsPingIntervalMs: read.int('WS_PING_INTERVAL_MS', 20_000, 50, 600_000),
    shutdownTimeoutMs: read.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    signingSecret,
    storage: readStorage(read, embedded, dataDir),
    mediaUrlTtlS: read.int('MEDIA_URL_TTL_SECONDS', 4 * 3600, 60, 5 * 86400),
    maxFileSizeBytes: read.bytes('MAX_FILE_SIZE', 20 * 2 ** 30),
    maxUserBytes: read.bytes('MAX_USER_BYTES', 0),
    minFreeDiskBytes: read.bytes('MIN_FREE_DISK_BYTES', 2 ** 30),
    testMediaDir: testMediaDir === undefined ? undefined : path.resolve(cwd, testMediaDir),
  };
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
