/**
 * The one place in the render node that reads the environment. Every variable is parsed and
 * checked here; a bad value stops the process with a message naming the variable.
 */

type Env = Record<string, string | undefined>;

export interface RenderNodeConfig {
  /** ffmpeg executable: an absolute path from FFMPEG_PATH, or a name looked up on PATH. */
  ffmpegPath: string;
  /** ffprobe executable: an absolute path from FFPROBE_PATH, or a name looked up on PATH. */
  ffprobePath: string;
  /** The PATH to look executables up on. */
  searchPath: string;
}

export class RenderNodeConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly accepts: string,
    value: string,
  ) {
    super(`${variable}=${JSON.stringify(value)} is not valid: ${variable} accepts ${accepts}`);
    this.name = 'RenderNodeConfigError';
  }
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function executable(env: Env, name: string, fallback: string): string {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  // A relative path would depend on the working directory of whoever starts the node.
  if (value.includes('/') && !value.startsWith('/')) {
    throw new RenderNodeConfigError(name, 'an absolute path to the executable, or a bare name found on PATH', value);
  }
  return value;
}

export function loadRenderNodeConfig(env: Env): RenderNodeConfig {
  return {
    ffmpegPath: executable(env, 'FFMPEG_PATH', 'ffmpeg'),
    ffprobePath: executable(env, 'FFPROBE_PATH', 'ffprobe'),
    searchPath: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  };
}

let current: RenderNodeConfig | undefined;

/** The configuration of this process, read from its environment on first use. */
export function renderNodeConfig(): RenderNodeConfig {
  current ??= loadRenderNodeConfig(process.env);
  return current;
}

/**
 * What a render node is started with: exactly the variables the dispatcher sets (a Kubernetes
 * Job passes the same names). Command-line flags `--task-id` and `--internal-url` may stand in
 * for the first two; the token only comes from the environment (arguments show in `ps`).
 */
/** Starts a render node warm: it waits for its task's variables on stdin (one JSON line). */
export const WAIT_FLAG = '--wait';

export interface WorkerEnv {
  taskId: string;
  internalUrl: string;
  token: string;
  attempt: number;
  scratchDir: string;
}

export function readWorkerEnv(env: Record<string, string | undefined>, argv: string[], tmpDir: string): WorkerEnv {
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const need = (name: string, value: string | undefined) => {
    if (!value) throw new RenderNodeConfigError(name, 'a value (it is required)', '');
    return value;
  };
  const internalUrl = need('CUTROOM_INTERNAL_URL (or --internal-url)', flag('internal-url') ?? env.CUTROOM_INTERNAL_URL);
  try {
    new URL(internalUrl);
  } catch {
    throw new RenderNodeConfigError('CUTROOM_INTERNAL_URL', 'an http(s) URL', internalUrl);
  }
  const attempt = Number(env.CUTROOM_TASK_ATTEMPT ?? '1');
  if (!Number.isInteger(attempt) || attempt < 1) throw new RenderNodeConfigError('CUTROOM_TASK_ATTEMPT', 'a positive integer', env.CUTROOM_TASK_ATTEMPT ?? '');
  return {
    taskId: need('CUTROOM_TASK_ID (or --task-id)', flag('task-id') ?? env.CUTROOM_TASK_ID),
    internalUrl: internalUrl.replace(/\/+$/, ''),
    token: need('CUTROOM_TASK_TOKEN', env.CUTROOM_TASK_TOKEN),
    attempt,
    scratchDir: env.SCRATCH_DIR || tmpDir,
  };
}
