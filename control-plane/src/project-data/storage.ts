import { sql, type RawBuilder } from 'kysely';
import type { Utf8Param } from '../db/database.js';
import type { PreparedJson } from './body-analysis.js';

/**
 * The SQL of project data at rest. A project row names its data's chunks in order
 * (`projects.data_chunks`); each chunk's text is a row of `project_data_chunks`, named by its
 * hash within the project. The project repository puts these pieces into its statements, so a
 * save writes the project, its chunks, its media index and its event in one statement.
 */

/** JSON text in UTF-8 bytes, already checked. */
export type JsonBytes = Buffer;

/** A project's data ready to store: its bytes, its chunks and the media ids it mentions. */
export interface ProjectData extends PreparedJson {
  bytes: JsonBytes;
}

export const chunkNames = (data: ProjectData): string[] => data.chunks.map((c) => c.hash);

/**
 * Inserts chunks of `data` for the project written by the statement's CTE `p`, each once;
 * chunks the project already holds are left as they are (same name, same text).
 */
export function insertChunks(utf8: Utf8Param, data: ProjectData, chunks: ProjectData['chunks']): RawBuilder<unknown> {
  const seen = new Set<string>();
  const values: RawBuilder<unknown>[] = [];
  for (const chunk of chunks) {
    if (seen.has(chunk.hash)) continue;
    seen.add(chunk.hash);
    values.push(sql`(${chunk.hash}, ${utf8(data.bytes.subarray(chunk.start, chunk.end))}::text)`);
  }
  return sql`
    insert into project_data_chunks (project_id, hash, content)
    select p.id, v.hash, v.content from p, (values ${sql.join(values)}) as v(hash, content)
    on conflict do nothing`;
}

/** Which of `names` the project holds already (a column for a query on `projects`). */
export const heldChunks = (projectId: string, names: string[]) =>
  sql<string[]>`array(select hash from project_data_chunks where project_id = ${projectId} and hash = any(${names}::text[]))`;

/**
 * The CTEs that store new data of the project updated by the statement's CTE `p`: the chunks it
 * does not hold yet, and the removal of those the new data no longer names.
 */
export function chunkWrites(utf8: Utf8Param, data: ProjectData, held: readonly string[]): RawBuilder<unknown>[] {
  const names = chunkNames(data);
  const have = new Set(held);
  const missing = data.chunks.filter((c) => !have.has(c.hash));
  const writes: RawBuilder<unknown>[] = [];
  if (missing.length > 0) writes.push(sql`chunks as (${insertChunks(utf8, data, missing)})`);
  writes.push(sql`
    stale as (
      delete from project_data_chunks c using p where c.project_id = p.id and c.hash <> all(${names}::text[])
    )`);
  return writes;
}

/** The data of the projects `p` of a query, joined from its chunks, with counts to check it whole. */
export const joinedData = sql`lateral (
  select string_agg(c.content, '' order by m.ord) as text, count(c.hash)::int as pieces
  from unnest(p.data_chunks) with ordinality as m(hash, ord)
  join project_data_chunks c on c.project_id = p.id and c.hash = m.hash
) d`;

/** The columns of `joinedData` that `wholeData` reads. */
export const joinedDataColumns = sql`d.text, d.pieces, cardinality(p.data_chunks) as expected`;

export interface DataPieces {
  text: string | null;
  pieces: number;
  expected: number;
}

/** The joined data, refusing to answer a text with a chunk missing (it would be corrupt). */
export function wholeData(projectId: string, data: DataPieces): string {
  if (data.pieces !== data.expected || data.text === null) {
    throw new Error(`project ${projectId}: ${data.expected - data.pieces} of ${data.expected} data chunks are missing`);
  }
  return data.text;
}
