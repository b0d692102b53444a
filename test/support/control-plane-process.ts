import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { ApiClient } from './api-client.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/**
 * The built control plane (`make build`) in a process of its own, as in production, for fault
 * tests: it can be killed with SIGKILL mid-request and started again on the same port, database
 * and data directory. Its render nodes are its children; those a killed process leaves behind
 * are remembered and ended by `destroy`.
 */
export interface ControlPlaneProcess {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  pid(): number;
  api(token?: string): ApiClient;
  /** SIGKILL, no goodbye; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Starts it again (same port, database and data); extra variables replace the first ones. */
  start(extraEnv?: Record<string, string>): Promise<void>;
  /** Resident memory of the process, in bytes, and its open file descriptors. */
  usage(): Promise<{ rssBytes: number; fds: number }>;
  /** Process ids of its children now (render nodes). */
  children(): Promise<number[]>;
  /** What it wrote to stdout and stderr (JSON log lines). */
  output(): string;
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const main = fileURLToPath(new URL('../../control-plane/dist/main.js', import.meta.url));

export async function startControlPlaneProcess(env: Record<string, string> = {}, options: { databaseUrl?: string } = {}): Promise<ControlPlaneProcess> {
  const database: TestDatabase | undefined = options.databaseUrl ? undefined : await createTestDatabase('postgres');
  const databaseUrl = options.databaseUrl ?? database!.url!;
  const dataDir = env.DATA_DIR ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-fault-')));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';
  const orphans = new Set<number>();
  let currentEnv = { ...env };

  const start = async (extraEnv: Record<string, string> = {}) => {
    currentEnv = { ...currentEnv, ...extraEnv };
    const started = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        ADMIN_TOKEN: 'test-admin-token',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL === 'silent' ? 'warn' : (process.env.TEST_LOG_LEVEL ?? 'warn'),
        ...currentEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    const collect = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.length > 4_000_000) log = log.slice(-2_000_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await vi.waitFor(
      async () => {
        if (started.exitCode !== null) return; // reported below, at once
        const ready = await fetch(`${url}/readyz`).catch(() => undefined);
        if (!ready?.ok) throw new Error(`the control plane was not ready within a minute:\n${log.slice(-3000)}`);
      },
      { timeout: 60_000, interval: 50 },
    );
    if (started.exitCode !== null) throw new Error(`the control plane exited (${started.exitCode}) before it was ready:\n${log.slice(-3000)}`);
  };

  const children = async () => {
    if (!child?.pid) return [];
    const text = await fs.readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '');
    return text.split(/\s+/).filter(Boolean).map(Number);
  };

  const stopChild = async (signal: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    for (const pid of await children()) orphans.add(pid);
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };

  await start();
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/websocket`,
    port,
    dataDir,
    databaseUrl,
    pid: () => child!.pid!,
    api: (token) => new ApiClient(url, token),
    kill9: () => stopChild('SIGKILL'),
    start,
    children,
    output: () => log,
    async usage() {
      const status = await fs.readFile(`/proc/${child!.pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const fds = (await fs.readdir(`/proc/${child!.pid}/fd`)).length;
      return { rssBytes: rssKb * 1024, fds };
    },
    async destroy() {
      await stopChild('SIGTERM');
      for (const pid of orphans) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await database?.drop();
      if (!env.DATA_DIR) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
