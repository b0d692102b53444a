#!/usr/bin/env node
import { parseArgs } from 'node:util';
import fs from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mediaInfo, TaskFailure } from '@cutroom/render-node';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { openDatabase } from './db/database.js';
import { DevelopersService, developerSettingsSchema, type DeveloperSettings } from './services/identity/developers.js';
import { startControlPlane } from './control-plane.js';
import { formatZodError } from './http/route.js';
import { HttpError } from './http/errors.js';

/**
 * `cutroom <command>`: serve (the default), migrate, and developer-account administration
 * working directly on the database named by the environment.
 */

const USAGE = `usage: cutroom <command>

  serve                        start the control plane (default)
  operator                     run the Kubernetes operator (task resources → Jobs)
  migrate                      apply database migrations and exit
  developers list
  developers create --name NAME [settings]
  developers show ID
  developers update ID [--name NAME] [settings]
  developers rotate-key ID
  developers delete ID
  mediainfo FILE_OR_URL [--preview-url URL]
                               print the media info JSON of a file, as /api/task/mediainfo answers it

settings: --callback-url URL --fetch-file-url URL --media-tab-content-url URL
          --fetch-thumbnail-url URL --s3-bucket NAME --s3-endpoint URL
          --s3-access-key KEY --s3-secret-key SECRET --s3-region REGION
          (an empty value clears a setting)`;

export class UsageError extends Error {}

export async function runCli(argv: string[], env: Record<string, string | undefined>, out = process.stdout): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  // The operator has no database; every other command needs one.
  const config = loadConfig(env, process.cwd(), { needsDatabase: command !== 'operator' });
  switch (command) {
    case 'serve':
      await serve(config);
      return 0;
    case 'operator':
      await operator(config);
      return 0;
    case 'migrate': {
      const database = await openConfiguredDatabase(config);
      await database.close();
      out.write('migrations applied\n');
      return 0;
    }
    case 'developers':
      return developersCommand(config, rest, out);
    case 'mediainfo':
      return mediaInfoCommand(config, rest, out);
    case 'help':
    case '--help':
      out.write(`${USAGE}\n`);
      return 0;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const controlPlane = await startControlPlane(config, logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'signal received');
      controlPlane.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

async function operator(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  // Loaded here only: the serving process need not hold the Kubernetes client library.
  const { startOperatorProcess } = await import('./operator/operator-process.js');
  const process_ = await startOperatorProcess(config, logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'signal received');
      // Stopping hands the Lease back, so a standby replica takes over at once.
      process_.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

async function openConfiguredDatabase(config: Config) {
  const database = await openDatabase({
    url: config.databaseUrl,
    pgliteDir: config.databaseUrl ? undefined : path.join(config.dataDir, 'pglite'),
    poolSize: 2,
  });
  await database.migrate();
  return database;
}

const settingFlags = {
  name: { type: 'string' },
  'callback-url': { type: 'string' },
  'fetch-file-url': { type: 'string' },
  'media-tab-content-url': { type: 'string' },
  'fetch-thumbnail-url': { type: 'string' },
  's3-bucket': { type: 'string' },
  's3-endpoint': { type: 'string' },
  's3-access-key': { type: 'string' },
  's3-secret-key': { type: 'string' },
  's3-region': { type: 'string' },
} as const;

async function developersCommand(config: Config, argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const [action, ...rest] = argv;
  // The ID comes first. Ids may begin with '-', which option parsing would take for a flag.
  const takesId = ['show', 'update', 'rotate-key', 'delete'].includes(action ?? '');
  const givenId = takesId && rest[0] !== undefined && !rest[0].startsWith('--') ? rest.shift() : undefined;
  const { values, positionals } = parseArgs({ args: rest, options: settingFlags, allowPositionals: true });
  const database = await openConfiguredDatabase(config);
  const developers = new DevelopersService(database.db);
  const id = () => {
    const value = givenId ?? positionals[0];
    if (!value) throw new UsageError(`developers ${action} needs an ID`);
    return value;
  };
  const print = (value: unknown) => out.write(`${JSON.stringify(value, null, 2)}\n`);
  try {
    switch (action) {
      case 'list':
        print(await developers.list());
        break;
      case 'create':
        print(await developers.create(settingsFrom(values, true) as DeveloperSettings));
        break;
      case 'show':
        print(await developers.get(id()));
        break;
      case 'update':
        print(await developers.update(id(), settingsFrom(values, false)));
        break;
      case 'rotate-key':
        print(await developers.rotateKey(id()));
        break;
      case 'delete':
        await developers.delete(id());
        print({ deleted: id() });
        break;
      default:
        throw new UsageError(`unknown developers action ${action ?? '(none)'}`);
    }
  } finally {
    await database.close();
  }
  return 0;
}

function settingsFrom(values: Partial<Record<keyof typeof settingFlags, string>>, creating: boolean) {
  const setting = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : value);
  const raw: Record<string, unknown> = {
    name: values.name,
    callBackUrl: setting(values['callback-url']),
    fetchFileUrl: setting(values['fetch-file-url']),
    mediaTabContentUrl: setting(values['media-tab-content-url']),
    fetchThumbnailUrl: setting(values['fetch-thumbnail-url']),
  };
  if (values['s3-bucket'] !== undefined) {
    raw.outputS3Bucket =
      values['s3-bucket'] === ''
        ? null
        : {
            awsBucketName: values['s3-bucket'],
            awsEndPoint: values['s3-endpoint'] || undefined,
            awsAccessKey: values['s3-access-key'],
            awsSecreteKey: values['s3-secret-key'],
            awsRegion: values['s3-region'] || undefined,
          };
  }
  const schema = creating ? developerSettingsSchema : developerSettingsSchema.partial();
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UsageError(formatZodError(parsed.error, 'settings'));
  return parsed.data;
}

/** The editor API's "generate media info locally": the same answer as a media info task, on this machine. */
async function mediaInfoCommand(config: Config, argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { 'preview-url': { type: 'string' } }, allowPositionals: true });
  const input = positionals[0];
  if (!input) throw new UsageError('mediainfo needs a FILE or URL');
  const scratchDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-mediainfo-'));
  try {
    const answer = await mediaInfo(
      {
        originalUrl: /^https?:\/\//i.test(input) ? input : path.resolve(input),
        previewUrl: values['preview-url'],
        // The operator's own command on their own machine: local addresses are theirs to use.
        policy: { allowPrivate: true },
        stepHns: config.thumbStepMs * 10_000,
        maxThumbnails: config.mediaInfoMaxThumbnails,
        box: { width: config.thumbWidth, height: config.thumbHeight },
      },
      { scratchDir, signal: new AbortController().signal },
    );
    out.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof TaskFailure) throw new Error(`${error.report.code}: ${error.report.message}`, { cause: error });
    throw error;
  } finally {
    await fs.rm(scratchDir, { recursive: true, force: true });
  }
}

/** Runs the CLI as a program: errors become one line on stderr and a non-zero exit. */
export function main(argv: string[]): void {
  runCli(argv, process.env).then(
    (code) => {
      if (argv[0] !== 'serve' && argv[0] !== 'operator' && argv.length > 0) process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof HttpError && error.status === 400) {
        // Settings the service refused (an unreachable output bucket): bad input, like a usage error.
        process.stderr.write(`cutroom: ${error.message}\n`);
        process.exit(2);
      }
      if (error instanceof ConfigError || error instanceof UsageError) {
        process.stderr.write(`cutroom: ${error.message}\n`);
        if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
        process.exit(2);
      }
      process.stderr.write(`cutroom: ${(error as Error).message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

/** Run as a program (also through the `cutroom` bin link, whose path differs from this file's). */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) main(process.argv.slice(2));
