import { spawn, type ChildProcess } from 'node:child_process';
import { locateExecutable } from './binaries.js';
import { FfmpegAbortedError, FfmpegError, FfmpegUnavailableError } from './errors.js';
import { StderrTail } from './stderr-tail.js';

/**
 * Runs one ffmpeg-family tool as a child process. The child is ours alone: it is stopped when
 * the signal aborts (SIGTERM, then SIGKILL after a short grace), killed when this process exits,
 * and on Linux started under `setpriv --pdeathsig KILL` so that even a SIGKILL of this process
 * takes it down instead of leaving it to render on for nobody.
 */

export interface SpawnToolOptions {
  /** Executable name or absolute path. */
  command: string;
  args: readonly string[];
  signal?: AbortSignal;
  /** Each complete line the child writes to stdout. */
  onStdoutLine?: (line: string) => void;
  /** Keep the whole stdout and return it (ffprobe's JSON). */
  collectStdout?: boolean;
  /** How long a child may take to exit after SIGTERM before it is killed. */
  killGraceMs?: number;
  /** Called with the child's process id once it is started. */
  onStart?: (pid: number) => void;
}

export interface SpawnToolResult {
  stdout: string;
  stderrTail: string;
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/** Children still running, for a process shutting down on a signal to stop them first. */
export function runningChildCount(): number {
  return liveChildren.size;
}

/** Sends SIGKILL to every tool child still running (for a SIGTERM handler about to exit). */
export function killAllChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}

const deathSignalWrapper = process.platform === 'linux' ? locateExecutable('setpriv', '/usr/bin:/bin') : undefined;

function toolName(command: string): string {
  return command.split('/').pop() ?? command;
}

export function spawnTool(options: SpawnToolOptions): Promise<SpawnToolResult> {
  const name = toolName(options.command);
  const killGraceMs = options.killGraceMs ?? 500;
  if (options.signal?.aborted) return Promise.reject(new FfmpegAbortedError(name));

  const executable = locateExecutable(options.command);
  if (executable === undefined) {
    return Promise.reject(
      new FfmpegUnavailableError(
        name,
        'missing',
        options.command.includes('/')
          ? `${name} not found at ${options.command}: install ffmpeg 5 or newer, or fix ${name === 'ffprobe' ? 'FFPROBE_PATH' : 'FFMPEG_PATH'}`
          : `${name} is not installed (not found on PATH): install ffmpeg 5 or newer (apt-get install ffmpeg), or set ${name === 'ffprobe' ? 'FFPROBE_PATH' : 'FFMPEG_PATH'}`,
      ),
    );
  }

  return new Promise<SpawnToolResult>((resolve, reject) => {
    const [file, argv] =
      deathSignalWrapper !== undefined ? [deathSignalWrapper, ['--pdeathsig', 'KILL', '--', executable, ...options.args]] : [executable, [...options.args]];
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(child);
    installExitHook();
    if (child.pid !== undefined) options.onStart?.(child.pid);

    const tail = new StderrTail();
    const stdoutChunks: Buffer[] = [];
    let pendingLine = '';
    let aborted = false;
    let spawnError: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    child.stderr!.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (options.collectStdout) stdoutChunks.push(chunk);
      // After an abort the caller has moved on: what the dying child still says is not news.
      if (options.onStdoutLine && !aborted) {
        const lines = (pendingLine + chunk.toString('utf8')).split('\n');
        pendingLine = lines.pop() ?? '';
        for (const line of lines) options.onStdoutLine(line.replace(/\r$/, ''));
      }
    });

    const onAbort = () => {
      aborted = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), killGraceMs);
      killTimer.unref();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    let settled = false;
    const finish = () => {
      settled = true;
      liveChildren.delete(child);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      spawnError = error;
      // A child that never started emits no 'close' on every Node version: settle here.
      if (child.pid === undefined && !settled) {
        finish();
        reject(new FfmpegUnavailableError(name, 'unusable', `${name} could not be started (${executable}): ${error.message}`));
      }
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      finish();
      if (pendingLine && options.onStdoutLine && !aborted) options.onStdoutLine(pendingLine);
      if (aborted) return reject(new FfmpegAbortedError(name));
      if (spawnError) {
        return reject(new FfmpegUnavailableError(name, 'unusable', `${name} could not be started (${executable}): ${spawnError.message}`));
      }
      if (code !== 0) return reject(new FfmpegError(name, code, signal, tail.text(), options.args));
      resolve({ stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderrTail: tail.text() });
    });
  });
}
