import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { hashSecret, newId } from '../ids.js';
import { forbidden, notFound, unauthorized } from '../http/errors.js';
import type { DevelopersService } from './developers.js';
import { tokenWeakness, type TokenPolicy } from './token-strength.js';

/**
 * Users, and the binding of editor tokens to users. A token is bound when the editor sends
 * `user_event` on its WebSocket; it then authenticates HTTP calls while a socket with it is
 * open and for a grace period after the last one closes. State lives in the database so any
 * replica can answer any request.
 */

export interface IdentityOptions {
  allowAnonymous: boolean;
  openRegistration: boolean;
  tokenGraceMs: number;
  /**
   * An HTTP call with a token no user holds yet waits this long for it to be bound: the editor
   * sends `user_event` and calls the API at once, and the bind may not have committed yet (on
   * this replica or another). Only then is the token unknown (404).
   */
  tokenBindWaitMs: number;
  /** A socket whose replica has not refreshed it for this long counts as gone (crashed replica). */
  liveWindowMs: number;
  /** Tokens shorter or more guessable than this are refused. */
  tokenPolicy: TokenPolicy;
}

export interface UserFields {
  name?: string | undefined;
  data?: string | undefined;
  apiKey?: string | undefined;
  apiAuthToken?: string | undefined;
}

export interface AuthenticatedUser {
  id: string;
  developerId: string | null;
}

/** Why a `user_event` was refused; sent to the editor before the socket closes. */
export class BindRefused extends Error {
  constructor(
    readonly reason: 'token_in_use' | 'session_not_found' | 'anonymous_disabled' | 'bad_token' | 'weak_token' | 'rate_limited',
    message: string,
  ) {
    super(message);
  }
}

const ms = (value: number) => sql<Date>`now() + (${value} * interval '1 millisecond')`;

export class IdentityService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly developers: DevelopersService,
    private readonly options: IdentityOptions,
  ) {}

  async createUser(fields: UserFields): Promise<{ id: string }> {
    let developerId: string | null = null;
    if (fields.apiKey !== undefined) {
      developerId = (await this.developers.authenticate(fields.apiKey)).id;
    } else if (!this.options.openRegistration) {
      throw forbidden('open registration is disabled: create users with the apiKey of a developer account');
    }
    const id = newId();
    await this.db
      .insertInto('users')
      .values({
        id,
        name: fields.name ?? null,
        data: fields.data ?? null,
        developer_id: developerId,
        api_auth_token: fields.apiAuthToken ?? null,
      })
      .execute();
    return { id };
  }

  async updateUser(id: string, fields: UserFields): Promise<{ id: string }> {
    const values: Record<string, unknown> = { updated_at: new Date() };
    if (fields.name !== undefined) values.name = fields.name;
    if (fields.data !== undefined) values.data = fields.data;
    if (fields.apiAuthToken !== undefined) values.api_auth_token = fields.apiAuthToken;
    let query = this.db.updateTable('users').where('id', '=', id);
    if (fields.apiKey !== undefined) {
      // A developer's key may claim a user of no developer, or its own; another developer's user is not there for it.
      const developerId = (await this.developers.authenticate(fields.apiKey)).id;
      values.developer_id = developerId;
      query = query.where((eb) => eb.or([eb('developer_id', 'is', null), eb('developer_id', '=', developerId)]));
    }
    const result = await query.set(values).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound(`no user ${id}`);
    return { id };
  }

  /** The seed's user object: `name` and `data` are strings, "" when never given. */
  async getUser(id: string): Promise<{ name: string; data: string }> {
    const row = await this.db.selectFrom('users').select(['name', 'data']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`no user ${id}`);
    return { name: row.name ?? '', data: row.data ?? '' };
  }

  /** The user a token is bound to, or a 401/404 the seed's way; a token being bound is waited for. */
  async authenticate(token: string | undefined): Promise<AuthenticatedUser> {
    if (!token) throw unauthorized('an Authorization header with the editor token is required');
    // Tokens bound before the policy was set stop working too.
    const weakness = tokenWeakness(token, this.options.tokenPolicy);
    if (weakness) throw unauthorized(weakness);
    const tokenHash = hashSecret(token);
    const deadline = Date.now() + this.options.tokenBindWaitMs;
    for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
      const row = await this.db
        .selectFrom('auth_tokens')
        .innerJoin('users', 'users.id', 'auth_tokens.user_id')
        .select(['users.id as id', 'users.developer_id as developerId'])
        .where('auth_tokens.token_hash', '=', tokenHash)
        .where('auth_tokens.expires_at', '>', sql<Date>`now()`)
        .executeTakeFirst();
      if (row) return row;
      if (Date.now() + pause > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    throw notFound('no user for this token: bind it with a user_event on /websocket first, or it has expired');
  }

  /** Binds a token to a user for a newly opened socket; returns the user id. */
  async bindToken(token: string, sessionId: string | undefined): Promise<string> {
    if (token.length === 0 || token.length > 512) throw new BindRefused('bad_token', 'authToken must be 1 to 512 characters');
    const weakness = tokenWeakness(token, this.options.tokenPolicy);
    if (weakness) throw new BindRefused('weak_token', weakness);
    const tokenHash = hashSecret(token);
    return this.db.transaction().execute(async (trx) => {
      // Serializes binds of one token, including the first, when no row exists to lock yet.
      await sql`select pg_advisory_xact_lock(hashtext(${tokenHash}))`.execute(trx);
      const current = await trx
        .selectFrom('auth_tokens')
        .select([
          'user_id',
          sql<boolean>`open_sockets > 0 and heartbeat_at > ${ms(-this.options.liveWindowMs)}`.as('live'),
          sql<boolean>`expires_at > now()`.as('valid'),
        ])
        .where('token_hash', '=', tokenHash)
        .forUpdate()
        .executeTakeFirst();

      let userId: string;
      if (sessionId !== undefined) {
        const user = await trx.selectFrom('users').select('id').where('id', '=', sessionId).executeTakeFirst();
        if (!user) throw new BindRefused('session_not_found', `no user ${sessionId}: create it with POST /api/users`);
        userId = user.id;
      } else if (current?.valid) {
        userId = current.user_id;
      } else if (this.options.allowAnonymous) {
        userId = await this.createAnonymous(trx);
      } else {
        throw new BindRefused('anonymous_disabled', 'anonymous use is disabled: pass the sessionId of a user');
      }
      if (current?.live && current.user_id !== userId) {
        throw new BindRefused('token_in_use', 'this token is in use by another user');
      }

      const openSockets = current?.live && current.user_id === userId ? sql<number>`auth_tokens.open_sockets + 1` : sql<number>`1`;
      await trx
        .insertInto('auth_tokens')
        .values({ token_hash: tokenHash, user_id: userId, open_sockets: 1, expires_at: this.openExpiry() })
        .onConflict((oc) =>
          oc.column('token_hash').doUpdateSet({
            user_id: userId,
            open_sockets: openSockets,
            heartbeat_at: sql`now()`,
            expires_at: this.openExpiry(),
          }),
        )
        .execute();
      return userId;
    });
  }

  /** A socket with this token closed: the token stays valid for the grace period. */
  async releaseToken(token: string): Promise<void> {
    await this.db
      .updateTable('auth_tokens')
      .set({
        open_sockets: sql`greatest(open_sockets - 1, 0)`,
        expires_at: sql`case when open_sockets > 1 then expires_at else ${ms(this.options.tokenGraceMs)} end`,
        heartbeat_at: sql`now()`,
      })
      .where('token_hash', '=', hashSecret(token))
      .execute();
  }

  /** Called by the replica holding open sockets on every ping round. */
  async heartbeat(tokens: string[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.db
      .updateTable('auth_tokens')
      .set({ heartbeat_at: sql`now()`, expires_at: this.openExpiry() })
      .where('token_hash', 'in', tokens.map(hashSecret))
      .where('open_sockets', '>', 0)
      .execute();
  }

  /** Users with at least one live socket. */
  async activeUsersCount(): Promise<number> {
    const row = await this.db
      .selectFrom('auth_tokens')
      .select(sql<number>`count(distinct user_id)::int`.as('count'))
      .where('open_sockets', '>', 0)
      .where('heartbeat_at', '>', ms(-this.options.liveWindowMs))
      .executeTakeFirstOrThrow();
    return row.count;
  }

  /** Whether a user has a valid token (a live socket, or one closed within the grace period). */
  async isPresent(userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('auth_tokens')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Forgets tokens that expired a while ago. */
  async purgeExpiredTokens(): Promise<number> {
    const result = await this.db
      .deleteFrom('auth_tokens')
      .where('expires_at', '<', ms(-86_400_000))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private openExpiry() {
    return ms(this.options.liveWindowMs + this.options.tokenGraceMs);
  }

  private async createAnonymous(trx: Transaction<DB>): Promise<string> {
    const id = newId();
    await trx.insertInto('users').values({ id, anonymous: true }).execute();
    return id;
  }
}
