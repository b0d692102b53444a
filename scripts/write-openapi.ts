import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../control-plane/src/config.js';
import { createLogger } from '../control-plane/src/logger.js';
import { startControlPlane } from '../control-plane/src/control-plane.js';

/**
 * Writes docs/openapi.json: the document the server serves at /api/openapi.json, made from the
 * schemas that validate requests, for readers of the repository. `make docs` runs it.
 */
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-openapi-'));
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', PUBLIC_URL: 'http://localhost:8080' });
const controlPlane = await startControlPlane(config, createLogger('silent'));
try {
  const document = await (await fetch(`${controlPlane.url}/api/openapi.json`)).json();
  await fs.writeFile(path.join(import.meta.dirname, '..', 'docs', 'openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
  console.log(`docs/openapi.json: ${Object.keys((document as { paths: object }).paths).length} paths`);
} finally {
  await controlPlane.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
}
