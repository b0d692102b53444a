import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.js';

/** Queries of overlay images: small PNGs kept in the database while their owner is around. */
export class OverlayImagesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: { id: string; ownerId: string; png: Buffer; width: number; height: number }): Promise<void> {
    await this.db
      .insertInto('overlay_images')
      .values({
        id: row.id,
        owner_id: row.ownerId,
        png: row.png,
        size_bytes: row.png.length,
        width: row.width,
        height: row.height,
      })
      .execute();
  }

  async read(ownerId: string, id: string): Promise<Buffer | undefined> {
    const row = await this.db.selectFrom('overlay_images').select('png').where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
    // pg answers a Buffer, PGlite a Uint8Array.
    return row ? Buffer.from(row.png.buffer, row.png.byteOffset, row.png.byteLength) : undefined;
  }

  async dimensions(ownerId: string, id: string): Promise<{ width: number; height: number } | undefined> {
    return this.db.selectFrom('overlay_images').select(['width', 'height']).where('id', '=', id).where('owner_id', '=', ownerId).executeTakeFirst();
  }

  /** Owners that have overlay images, with the database's clock at the time of reading. */
  async owners(): Promise<{ ownerIds: string[]; readAt: Date }> {
    const { rows } = await sql<{ owner_id: string | null; read_at: Date }>`
      select o.owner_id, now() as read_at
      from (select 1) as one left join (select distinct owner_id from overlay_images) as o on true
    `.execute(this.db);
    return { ownerIds: rows.flatMap((r) => (r.owner_id === null ? [] : [r.owner_id])), readAt: new Date(rows[0]!.read_at) };
  }

  /**
   * Deletes an owner's overlay images made before `before`, except the pinned ones. Images made
   * later were uploaded after the owner's absence was seen, so they belong to a new visit.
   */
  async deleteOwned(ownerId: string, before: Date, pinnedIds: string[]): Promise<number> {
    let query = this.db.deleteFrom('overlay_images').where('owner_id', '=', ownerId).where('created_at', '<', before);
    if (pinnedIds.length > 0) query = query.where('id', 'not in', pinnedIds);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
