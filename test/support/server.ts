import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../control-plane/src/config.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { startControlPlane, type Collaborators, type ControlPlane } from '../../control-plane/src/control-plane.js';
import { createTestDatabase, type TestDriver } from './databases.js';
import { ApiClient } from './api-client.js';

export interface TestServer {
  controlPlane: ControlPlane;
  url: string;
  wsUrl: string;
  dataDir: string;
  env: Record<string, string>;
  api(token?: string): ApiClient;
  /** Stops the server but keeps its database and data, for restart tests. */
  stop(): Promise<void>;
  /** Starts a new control plane on the same database and data directory. */
  restart(extraEnv?: Record<string, string>): Promise<TestServer>;
  /** Starts a second control plane on the same database (Postgres only); stop it yourself. */
  replica(extraEnv?: Record<string, string>): Promise<TestServer>;
  /** Stops and removes everything. */
  destroy(): Promise<void>;
}

/**
 * Starts a real control plane on a free port, on a fresh database of the given driver.
 * `collaborators` replaces parts another area provides (the media catalogue, overlay pins).
 */
export async function startTestServer(driver: TestDriver, env: Record<string, string> = {}, collaborators: Collaborators = {}): Promise<TestServer> {
  const database = await createTestDatabase(driver);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-test-'));
  const fullEnv: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ADMIN_TOKEN: 'test-admin-token',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...env,
  };
  const cleanup = async () => {
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  return launch(fullEnv, dataDir, cleanup, collaborators);
}

async function launch(env: Record<string, string>, dataDir: string, cleanup: () => Promise<void>, collaborators: Collaborators): Promise<TestServer> {
  const config = loadConfig(env);
  const controlPlane = await startControlPlane(config, createLogger(config.logLevel), collaborators);
  const server: TestServer = {
    controlPlane,
    url: controlPlane.url,
    wsUrl: `${controlPlane.url.replace(/^http/, 'ws')}/websocket`,
    dataDir,
    env,
    api: (token) => new ApiClient(controlPlane.url, token),
    stop: () => controlPlane.stop(),
    replica: (extraEnv = {}) => launch({ ...env, ...extraEnv }, dataDir, async () => {}, collaborators),
    async restart(extraEnv = {}) {
      await controlPlane.stop();
      return launch({ ...env, ...extraEnv }, dataDir, cleanup, collaborators);
    },
    async destroy() {
      await controlPlane.stop();
      await cleanup();
    },
  };
  return server;
}
