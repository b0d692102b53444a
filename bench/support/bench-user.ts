import pg from 'pg';
import type { ControlPlane } from '../../control-plane/src/control-plane.js';
import { hashSecret, newId } from '../../control-plane/src/ids.js';

/** A user with a bound token, made straight in the database (benchmarks skip the WebSocket). */
export async function benchUser(controlPlane: ControlPlane): Promise<{ userId: string; token: string }> {
  const { db } = controlPlane.database;
  const userId = newId();
  const token = `bench-${newId()}`;
  await db.insertInto('users').values({ id: userId, name: 'bench' }).execute();
  await db
    .insertInto('auth_tokens')
    .values({ token_hash: hashSecret(token), user_id: userId, open_sockets: 1, expires_at: new Date(Date.now() + 86_400_000) })
    .execute();
  return { userId, token };
}

/** The same, for a control plane running in a process of its own, on its database. */
export async function benchUserAt(databaseUrl: string): Promise<{ userId: string; token: string }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const userId = newId();
    const token = `bench-${newId()}`;
    await client.query('insert into users (id, name) values ($1, $2)', [userId, 'bench']);
    await client.query('insert into auth_tokens (token_hash, user_id, open_sockets, expires_at) values ($1, $2, 1, $3)', [
      hashSecret(token),
      userId,
      new Date(Date.now() + 86_400_000),
    ]);
    return { userId, token };
  } finally {
    await client.end();
  }
}
