/**
 * Project data: the timeline JSON the editor autosaves (`data` of a project, megabytes, sent
 * whole on every save), from the request body to the rows that keep it and back to the answer.
 * Everything that touches it lives in this folder; the rest of the control plane uses what this
 * file exports.
 *
 * The path of a save:
 *   1. http/json-body.ts reads the body and has it checked (`analyzeBody`, on a `CpuPool`
 *      thread for a large one): UTF-8, one JSON text, the byte spans of its top-level members,
 *      and for a large `data` its chunks and the media ids it mentions (`PreparedJson`).
 *   2. The route takes `data` as its bytes (`VerbatimJson`), never parsed; the projects
 *      service completes what the body check left undone (`prepareProjectData`).
 *   3. The projects repository writes the project, the chunks it lacks, its media index and its
 *      event in one statement, with the SQL of `storage.ts`.
 *   4. Reads join the chunks back (`joinedData`, `wholeData`) and answers splice the text in
 *      as it is (`RawJson`).
 *
 * Invariants:
 *   - Byte for byte. `data` is answered exactly as the client sent it: the bytes of its member
 *     in the body, never parsed and serialized again. Data written by an earlier release reads
 *     back byte-identical; a change of storage must keep that (and be an expand/contract
 *     migration: the previous release still reads what it wrote).
 *   - Only JSON is stored: a body is checked (RFC 8259, UTF-8, nesting below `MAX_DEPTH`)
 *     before any route sees it; a fault answers 400 naming its byte.
 *   - Chunks are cut by content alone (a fixed gear table, `chunks.ts`), never inside a UTF-8
 *     character, so cuts are the same on every replica and release and each chunk is text.
 *   - A chunk's name is 128 bits of the SHA-256 of its bytes, base64url. Migration 0007 repeats
 *     that format in SQL for the data it converted; test/db/migrations.test.ts holds the two
 *     equal. Names matter only within a project: a changed format would store every chunk
 *     anew on the next save, never read a wrong one.
 *   - `projects.data_chunks` names, in order, chunks that all exist for the project; a read
 *     that finds one missing fails rather than answer partial data. Chunks are written and
 *     deleted only by a save or delete of their project, guarded by its `revision` (or row lock).
 *   - `project_media` holds exactly the id-shaped tokens of the current data (`media-ids.ts`),
 *     and `media_digest` digests that set; both change in the statement that changes the data.
 *   - Remembered work (scan states, media ids of stretches) is keyed by content hashes: a miss
 *     costs a pass over bytes, never a wrong answer.
 */
export { analyzeBody, prepareJson, type BodyAnalysis, type PreparedJson } from './body-analysis.js';
export { CpuPool, OFFLOAD_BYTES } from './cpu-pool.js';
export { MAX_DEPTH, type ByteSpan } from './json-scan.js';
export { RawJson, sendJson, stringifyWithRaw } from './raw-json.js';
export {
  chunkNames,
  chunkWrites,
  heldChunks,
  insertChunks,
  joinedData,
  joinedDataColumns,
  wholeData,
  type DataPieces,
  type JsonBytes,
  type ProjectData,
} from './storage.js';

import { prepareJson, type PreparedJson } from './body-analysis.js';
import type { JsonBytes, ProjectData } from './storage.js';

/** A member taken as the client's bytes; a large one comes prepared for storage in chunks. */
export interface VerbatimJson {
  bytes: JsonBytes;
  prepared?: PreparedJson | undefined;
}

/** Data ready to store: as the body check prepared it, or prepared here (small data). */
export const prepareProjectData = (data: VerbatimJson): ProjectData => ({ bytes: data.bytes, ...(data.prepared ?? prepareJson(data.bytes)) });
