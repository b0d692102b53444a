import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './control-plane-process.js';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A Postgres cluster of the test's own (initdb and pg_ctl from Debian's packages) on a free port
 * in a temporary folder, so a test can stop and restart it without touching the shared server.
 * initdb refuses to run as root: as root the cluster belongs to the `postgres` user.
 */
export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

export async function privatePostgresAvailable(): Promise<boolean> {
  return fs.access(path.join(BIN, 'initdb')).then(
    () => true,
    () => false,
  );
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-pg-'));
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asOwner = async (command: string, args: string[]) => {
    if (process.getuid?.() === 0) return run('runuser', ['-u', 'postgres', '--', path.join(BIN, command), ...args]);
    return run(path.join(BIN, command), args);
  };
  if (process.getuid?.() === 0) await run('chown', ['postgres:postgres', dir]);
  await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const start = () => asOwner('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']).then(() => undefined);
  const stop = () => asOwner('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']).then(() => undefined);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      await stop().catch(() => {});
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
