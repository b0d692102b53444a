import fs from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { InstanceSecretsRepository } from '../db/instance-secrets-repository.js';
import type { DB } from '../db/schema.js';
import { newSecret } from '../ids.js';

/** The file under DATA_DIR that keeps the generated signing secret of an embedded install. */
export const SIGNING_SECRET_FILE = 'signing-secret';

/**
 * The secret signed URLs are made with: SIGNING_SECRET when set; otherwise one generated on the
 * first start and kept, so URLs handed out stay valid across restarts: in the database when
 * `shared` is given (production, where every replica must sign alike), else in DATA_DIR (mode 0600).
 */
export async function loadSigningSecret(configured: string | undefined, dataDir: string, shared?: Kysely<DB>): Promise<string> {
  if (configured !== undefined) return configured;
  // The first replica to start generates it, the others read it.
  if (shared) return new InstanceSecretsRepository(shared).getOrStore('signing', newSecret());
  const file = path.join(dataDir, SIGNING_SECRET_FILE);
  await fs.mkdir(dataDir, { recursive: true });
  // Written aside, then linked into place: link never replaces an existing file, so when two
  // processes start on one DATA_DIR together exactly one secret wins, and nobody reads a half-written one.
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temp, `${newSecret()}\n`, { mode: 0o600 });
  try {
    await fs.link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
  const stat = await fs.stat(file);
  if ((stat.mode & 0o077) !== 0) await fs.chmod(file, 0o600);
  const secret = (await fs.readFile(file, 'utf8')).trim();
  if (secret.length < 16) throw new Error(`${file} holds no usable secret; delete it to have a new one generated`);
  return secret;
}
