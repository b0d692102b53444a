import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../control-plane/src/config.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { startControlPlane, type ControlPlane } from '../../control-plane/src/control-plane.js';

/** A fresh Postgres database (BENCH_DATABASE_URL, default the local server) and a way to drop it. */
async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `cutroom_bench_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * The built control plane (`make build`) in a process of its own, as it runs in production, on
 * a fresh Postgres database: the benchmark's clients then spend none of its time, and none of
 * their garbage collection pauses it.
 */
export async function startControlPlaneProcess(
  env: Record<string, string> = {},
): Promise<{ url: string; databaseUrl: string; pid: number; stop(): Promise<void> }> {
  const database = await benchDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-bench-'));
  const main = fileURLToPath(new URL('../../control-plane/dist/main.js', import.meta.url));
  const port = await freePort();
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: database.url, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Ready once /readyz answers; a process that exits first fails the start.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the control plane exited (${child.exitCode}) before it was ready`);
    const answer = await fetch(`${url}/readyz`).catch(() => undefined);
    if (answer?.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    databaseUrl: database.url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A control plane in this process, on a fresh Postgres database (BENCH_DATABASE_URL, default the local server). */
export async function startBenchControlPlane(env: Record<string, string> = {}): Promise<{
  controlPlane: ControlPlane;
  stop(): Promise<void>;
}> {
  const database = await benchDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-bench-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: database.url, LOG_LEVEL: 'warn', ...env });
  const controlPlane = await startControlPlane(config, createLogger(config.logLevel));
  return {
    controlPlane,
    async stop() {
      await controlPlane.stop();
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}
