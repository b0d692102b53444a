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
