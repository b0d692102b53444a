import { sql, type Kysely, type Transaction } from 'kysely';
import { listingVersionColumns, type ListingVersions } from './media-repository.js';
import { PreparedStatement } from './prepared-statements.js';
import type { DB } from './schema.js';

/** `now()` moved by some milliseconds (negative: in the past). */
const fromNow = (ms: number) => sql<Date>`now() + (${ms} * interval '1 millisecond')`;

/** A token's binding as a bind finds it. */
export interface TokenBinding {
  userId: string;
  /** A socket holds it, refreshed within the live window. */
  live: boolean;
  /** Not expired. */
  valid: boolean;
}

/**
 * Queries of editor tokens (by the hash of the token): which user each is bound to, how many
 * sockets hold it, and until when it authenticates.
 */
export class AuthTokensRepository {
  /** `userWithListingVersions`'s statement: a request's first, prepared (see `PreparedStatement`). */
  private readonly userWithListingVersionsStatement: PreparedStatement<[tokenHash: string], { id: string; developerId: string | null } & ListingVersions>;

  constructor(private readonly db: Kysely<DB>) {
    this.userWithListingVersionsStatement = new PreparedStatement(
      db,
      1,
      (tokenHash: string) => sql<{ id: string; developerId: string | null } & ListingVersions>`select users.id, users.developer_id as "developerId",
      ${listingVersionColumns(sql`users.id`)}
      from auth_tokens join users on users.id = auth_tokens.user_id
      where auth_tokens.token_hash = ${tokenHash} and auth_tokens.expires_at > now()`,
    );
  }

  /** The user a valid token is bound to. */
  userOf(tokenHash: string): Promise<{ id: string; developerId: string | null } | undefined> {
    return this.db
      .selectFrom('auth_tokens')
      .innerJoin('users', 'users.id', 'auth_tokens.user_id')
      .select(['users.id as id', 'users.developer_id as developerId'])
      .where('auth_tokens.token_hash', '=', tokenHash)
      .where('auth_tokens.expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
  }

  /**
   * The user a valid token is bound to, with the versions of their media listing read in the
   * same statement (a request's one round trip when its list answer can be reused). Needs
   * migration 0015's table.
   */
  async userWithListingVersions(tokenHash: string): Promise<{ id: string; developerId: string | null; listingVersions: ListingVersions } | undefined> {
    const { rows } = await this.userWithListingVersionsStatement.execute(tokenHash);
    const row = rows[0];
    return row && { id: row.id, developerId: row.developerId, listingVersions: { own: row.own, shared: row.shared } };
  }

  /**
   * Runs `work` in a transaction that holds the token's lock: binds of one token, the first
   * included (when no row exists to lock yet), run one at a time.
   */
  withTokenLock<T>(tokenHash: string, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${tokenHash}))`.execute(trx);
      return work(trx);
    });
  }

  /** The token's binding, its row locked until the transaction ends. */
  async lockBinding(trx: Transaction<DB>, tokenHash: string, liveWindowMs: number): Promise<TokenBinding | undefined> {
    const row = await trx
      .selectFrom('auth_tokens')
      .select(['user_id', sql<boolean>`open_sockets > 0 and heartbeat_at > ${fromNow(-liveWindowMs)}`.as('live'), sql<boolean>`expires_at > now()`.as('valid')])
      .where('token_hash', '=', tokenHash)
      .forUpdate()
      .executeTakeFirst();
    return row && { userId: row.user_id, live: row.live, valid: row.valid };
  }

  /**
   * Binds the token to a user for one more open socket (`addSocket`), or for a first one,
   * valid for `validMs` from now.
   */
  async bindOpen(trx: Transaction<DB>, tokenHash: string, userId: string, addSocket: boolean, validMs: number): Promise<void> {
    const openSockets = addSocket ? sql<number>`auth_tokens.open_sockets + 1` : sql<number>`1`;
    await trx
      .insertInto('auth_tokens')
      .values({ token_hash: tokenHash, user_id: userId, open_sockets: 1, expires_at: fromNow(validMs) })
      .onConflict((oc) =>
        oc.column('token_hash').doUpdateSet({
          user_id: userId,
          open_sockets: openSockets,
          heartbeat_at: sql`now()`,
          expires_at: fromNow(validMs),
        }),
      )
      .execute();
  }

  /** One socket with the token closed; when it was the last, the token stays valid `graceMs`. */
  async release(tokenHash: string, graceMs: number): Promise<void> {
    await this.db
      .updateTable('auth_tokens')
      .set({
        open_sockets: sql`greatest(open_sockets - 1, 0)`,
        expires_at: sql`case when open_sockets > 1 then expires_at else ${fromNow(graceMs)} end`,
        heartbeat_at: sql`now()`,
      })
      .where('token_hash', '=', tokenHash)
      .execute();
  }

  /** Tokens held by open sockets are refreshed and valid `validMs` from now. */
  async heartbeat(tokenHashes: string[], validMs: number): Promise<void> {
    if (tokenHashes.length === 0) return;
    await this.db
      .updateTable('auth_tokens')
      .set({ heartbeat_at: sql`now()`, expires_at: fromNow(validMs) })
      .where('token_hash', 'in', tokenHashes)
      .where('open_sockets', '>', 0)
      .execute();
  }

  /** Users with a socket refreshed within the live window. */
  async liveUsersCount(liveWindowMs: number): Promise<number> {
    const row = await this.db
      .selectFrom('auth_tokens')
      .select(sql<number>`count(distinct user_id)::int`.as('count'))
      .where('open_sockets', '>', 0)
      .where('heartbeat_at', '>', fromNow(-liveWindowMs))
      .executeTakeFirstOrThrow();
    return row.count;
  }

  /** Whether the user holds a valid token. */
  async hasValidToken(userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('auth_tokens')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Deletes tokens that expired more than `agoMs` ago; how many. */
  async deleteExpired(agoMs: number): Promise<number> {
    const result = await this.db.deleteFrom('auth_tokens').where('expires_at', '<', fromNow(-agoMs)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
