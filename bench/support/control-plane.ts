import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../control-plane/src/config.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { startControlPlane, type ControlPlane } from '../../control-plane/src/control-plane.js';

/** A control plane on a fresh Postgres database (BENCH_DATABASE_URL, default the local server). */
export async function startBenchControlPlane(env: Record<string, string> = {}): Promise<{
  controlPlane: ControlPlane;
  stop(): Promise<void>;
}> {
  const admin = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `cutroom_bench_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-bench-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: url.toString(), LOG_LEVEL: 'warn', ...env });
  const controlPlane = await startControlPlane(config, createLogger(config.logLevel));
  return {
    controlPlane,
    async stop() {
      await controlPlane.stop();
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
