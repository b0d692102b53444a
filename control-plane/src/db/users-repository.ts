import type { Insertable, Kysely, Updateable } from 'kysely';
import type { DB, UsersTable } from './schema.js';

export type NewUserRow = Insertable<UsersTable>;
export type UserChanges = Updateable<UsersTable>;

/** What the editor in the browser needs to call its developer's custom URLs. */
export interface EditorConfigRow {
  userId: string;
  apiAuthToken: string | null;
  fetchFileUrl: string | null;
  mediaTabContentUrl: string | null;
  fetchThumbnailUrl: string | null;
}

/** Queries of users. `db` parameters take a transaction in progress. */
export class UsersRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: NewUserRow, db: Kysely<DB> = this.db): Promise<void> {
    await db.insertInto('users').values(row).execute();
  }

  /**
   * Changes a user; false when there is none. With `claimedBy`, only a user of no developer or
   * of that one (a developer's key may claim a free user, or its own, never another's).
   */
  async update(id: string, changes: UserChanges, claimedBy?: string): Promise<boolean> {
    let query = this.db.updateTable('users').set(changes).where('id', '=', id);
    if (claimedBy !== undefined) query = query.where((eb) => eb.or([eb('developer_id', 'is', null), eb('developer_id', '=', claimedBy)]));
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  findProfile(id: string): Promise<{ name: string | null; data: string | null } | undefined> {
    return this.db.selectFrom('users').select(['name', 'data']).where('id', '=', id).executeTakeFirst();
  }

  async exists(id: string, db: Kysely<DB> = this.db): Promise<boolean> {
    return (await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }

  /**
   * The developer's fetchFileUrl (null when unset) and the user's token to call it with;
   * undefined when the user has no developer.
   */
  developerFetchAccess(id: string): Promise<{ fetchFileUrl: string | null; apiAuthToken: string | null } | undefined> {
    return this.db
      .selectFrom('users')
      .innerJoin('developers', 'developers.id', 'users.developer_id')
      .select(['developers.fetch_file_url as fetchFileUrl', 'users.api_auth_token as apiAuthToken'])
      .where('users.id', '=', id)
      .executeTakeFirst();
  }

  /** The user's editor configuration: the developer's URLs are null for a user of no developer. */
  editorConfig(id: string): Promise<EditorConfigRow | undefined> {
    return this.db
      .selectFrom('users')
      .leftJoin('developers', 'developers.id', 'users.developer_id')
      .select([
        'users.id as userId',
        'users.api_auth_token as apiAuthToken',
        'developers.fetch_file_url as fetchFileUrl',
        'developers.media_tab_content_url as mediaTabContentUrl',
        'developers.fetch_thumbnail_url as fetchThumbnailUrl',
      ])
      .where('users.id', '=', id)
      .executeTakeFirst();
  }
}
