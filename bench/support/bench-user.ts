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
