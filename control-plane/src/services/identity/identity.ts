import type { Kysely, Transaction } from 'kysely';
import { AuthTokensRepository } from '../../db/auth-tokens-repository.js';
import type { ListingVersions } from '../../db/media-repository.js';
import type { DB } from '../../db/schema.js';
import { UsersRepository, type UserChanges } from '../../db/users-repository.js';
import { hashSecret, newId } from '../../ids.js';
import { forbidden, notFound, unauthorized } from '../../http/errors.js';
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
  /**
   * The versions of the user's media listing, read with the token in one statement (absent on a
   * schema without them): a list answer is checked for reuse against them with no query of its own.
   */
  listingVersions?: ListingVersions;
}

/** Postgres's `undefined_table` error code. */
const UNDEFINED_TABLE = '42P01';

/** Why a `user_event` was refused; sent to the editor before the socket closes. */
export class BindRefused extends Error {
  constructor(
    readonly reason: 'token_in_use' | 'session_not_found' | 'anonymous_disabled' | 'bad_token' | 'weak_token' | 'rate_limited',
    message: string,
  ) {
    super(message);
  }
}

export class IdentityService {
  private readonly users: UsersRepository;
  private readonly tokens: AuthTokensRepository;

  constructor(
    db: Kysely<DB>,
    private readonly developers: DevelopersService,
    private readonly options: IdentityOptions,
  ) {
    this.users = new UsersRepository(db);
    this.tokens = new AuthTokensRepository(db);
  }

  async createUser(fields: UserFields): Promise<{ id: string }> {
    let developerId: string | null = null;
    if (fields.apiKey !== undefined) {
      developerId = (await this.developers.authenticate(fields.apiKey)).id;
    } else if (!this.options.openRegistration) {
      throw forbidden('open registration is disabled: create users with the apiKey of a developer account');
    }
    const id = newId();
    await this.users.insert({
      id,
      name: fields.name ?? null,
      data: fields.data ?? null,
      developer_id: developerId,
      api_auth_token: fields.apiAuthToken ?? null,
    });
    return { id };
  }

  async updateUser(id: string, fields: UserFields): Promise<{ id: string }> {
    const values: UserChanges = { updated_at: new Date() };
    if (fields.name !== undefined) values.name = fields.name;
    if (fields.data !== undefined) values.data = fields.data;
    if (fields.apiAuthToken !== undefined) values.api_auth_token = fields.apiAuthToken;
    let claimedBy: string | undefined;
    if (fields.apiKey !== undefined) {
      // A developer's key may claim a user of no developer, or its own; another developer's user is not there for it.
      claimedBy = (await this.developers.authenticate(fields.apiKey)).id;
      values.developer_id = claimedBy;
    }
    if (!(await this.users.update(id, values, claimedBy))) throw notFound(`no user ${id}`);
    return { id };
  }

  /** The editor API's user object: `name` and `data` are strings, "" when never given. */
  async getUser(id: string): Promise<{ name: string; data: string }> {
    const row = await this.users.findProfile(id);
    if (!row) throw notFound(`no user ${id}`);
    return { name: row.name ?? '', data: row.data ?? '' };
  }

  /** The user a token is bound to, or a 401/404 the editor API's way; a token being bound is waited for. */
  async authenticate(token: string | undefined): Promise<AuthenticatedUser> {
    if (!token) throw unauthorized('an Authorization header with the editor token is required');
    // Tokens bound before the policy was set stop working too.
    const weakness = tokenWeakness(token, this.options.tokenPolicy);
    if (weakness) throw unauthorized(weakness);
    const tokenHash = hashSecret(token);
    const deadline = Date.now() + this.options.tokenBindWaitMs;
    for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
      const row = await this.userOf(tokenHash);
      if (row) return row;
      if (Date.now() + pause > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    throw notFound('no user for this token: bind it with a user_event on /websocket first, or it has expired');
  }

  private async userOf(tokenHash: string): Promise<AuthenticatedUser | undefined> {
    try {
      return await this.tokens.userWithListingVersions(tokenHash);
    } catch (error) {
      // A schema from before migration 0015 (a rolling upgrade that has not migrated yet): the user alone.
      if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return this.tokens.userOf(tokenHash);
      throw error;
    }
  }

  /** Binds a token to a user for a newly opened socket; returns the user id. */
  async bindToken(token: string, sessionId: string | undefined): Promise<string> {
    if (token.length === 0 || token.length > 512) throw new BindRefused('bad_token', 'authToken must be 1 to 512 characters');
    const weakness = tokenWeakness(token, this.options.tokenPolicy);
    if (weakness) throw new BindRefused('weak_token', weakness);
    const tokenHash = hashSecret(token);
    return this.tokens.withTokenLock(tokenHash, async (trx) => {
      const current = await this.tokens.lockBinding(trx, tokenHash, this.options.liveWindowMs);

      let userId: string;
      if (sessionId !== undefined) {
        if (!(await this.users.exists(sessionId, trx))) throw new BindRefused('session_not_found', `no user ${sessionId}: create it with POST /api/users`);
        userId = sessionId;
      } else if (current?.valid) {
        userId = current.userId;
      } else if (this.options.allowAnonymous) {
        userId = await this.createAnonymous(trx);
      } else {
        throw new BindRefused('anonymous_disabled', 'anonymous use is disabled: pass the sessionId of a user');
      }
      if (current?.live && current.userId !== userId) {
        throw new BindRefused('token_in_use', 'this token is in use by another user');
      }
      await this.tokens.bindOpen(trx, tokenHash, userId, current?.live === true && current.userId === userId, this.openValidityMs());
      return userId;
    });
  }

  /** A socket with this token closed: the token stays valid for the grace period. */
  async releaseToken(token: string): Promise<void> {
    await this.tokens.release(hashSecret(token), this.options.tokenGraceMs);
  }

  /** Called by the replica holding open sockets on every ping round. */
  async heartbeat(tokens: string[]): Promise<void> {
    await this.tokens.heartbeat(tokens.map(hashSecret), this.openValidityMs());
  }

  /** Users with at least one live socket. */
  async activeUsersCount(): Promise<number> {
    return this.tokens.liveUsersCount(this.options.liveWindowMs);
  }

  /** Whether a user has a valid token (a live socket, or one closed within the grace period). */
  async isPresent(userId: string): Promise<boolean> {
    return this.tokens.hasValidToken(userId);
  }

  /** Forgets tokens that expired a while ago. */
  async purgeExpiredTokens(): Promise<number> {
    return this.tokens.deleteExpired(86_400_000);
  }

  /** How long a token held by an open socket stays valid without a heartbeat. */
  private openValidityMs(): number {
    return this.options.liveWindowMs + this.options.tokenGraceMs;
  }

  private async createAnonymous(trx: Transaction<DB>): Promise<string> {
    const id = newId();
    await this.users.insert({ id, anonymous: true }, trx);
    return id;
  }
}
