import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { startControlPlane } from './control-plane.js';

/**
 * A start that fails half way (here: the port is taken, the last thing before serving) stops
 * what had started, in reverse order, through the same path as a shutdown.
 */
describe('startControlPlane, failing half way', () => {
  let dataDir: string;
  let taken: http.Server;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-lifecycle-'));
    taken = http.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => taken?.close(resolve));
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('stops every component it had started, last first, and reports why it failed', async () => {
    const lines: Array<{ msg: string; component?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const port = (taken.address() as AddressInfo).port;
    const config = loadConfig({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'debug', WORKERS: '1', CPU_THREADS: '1' });
    await expect(startControlPlane(config, pino({ level: 'debug' }, sink))).rejects.toThrow(/EADDRINUSE/);
    const stopped = lines.filter((line) => line.msg === 'component stopped').map((line) => line.component);
    expect(stopped).toEqual([
      'presence',
      'overlay-sweep',
      'staging-sweep',
      'voiceover-sweep',
      'voiceovers',
      'callbacks',
      'thumbnails',
      'http drain',
      'dispatcher',
      'cpu pool',
      'project-import-advance',
      'project-import-sweep',
      'upload-sweep',
      'object-deletion-sweep',
      'replica bus',
      'object store',
      'database',
    ]);
    expect(lines.map((line) => line.msg)).not.toContain('control plane listening');
    expect(lines.at(-1)?.msg).toBe('stopped');
  });
});
