import { sql, type Kysely } from 'kysely';
import type { AudiolibImportState, DB } from './schema.js';

/**
 * The audio library import's one state row. A run holds it by its id while its heartbeat is
 * fresh; every write of a run is guarded by that id, so a run that lost the row (its replica
 * stalled and another took over) learns so at its next write and stops.
 */

export interface ImportRunRow {
  state: AudiolibImportState;
  totalCount: number;
  processedCount: number;
  error: string;
  startedAt: Date | null;
  heartbeatAt: Date | null;
  finishedAt: Date | null;
}

export class AudiolibImportRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Takes the row for a new run unless a live one holds it; answers whether it was taken. */
  async claim(runId: string, staleAfterS: number): Promise<boolean> {
    const result = await this.db
      .updateTable('audiolib_import')
      .set({
        state: 'running',
        run_id: runId,
        total_count: 0,
        processed_count: 0,
        error: '',
        started_at: sql<Date>`now()`,
        heartbeat_at: sql<Date>`now()`,
        finished_at: null,
      })
      .where('id', '=', 'current')
      .where((eb) =>
        eb.or([
          eb('state', '!=', 'running'),
          eb('heartbeat_at', 'is', null),
          eb('heartbeat_at', '<', sql<Date>`now() - make_interval(secs => ${staleAfterS})`),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Records progress (and the heartbeat); false when the run no longer holds the row. */
  async recordProgress(runId: string, counts: { totalCount?: number; processedCount?: number }): Promise<boolean> {
    const result = await this.db
      .updateTable('audiolib_import')
      .set({
        heartbeat_at: sql<Date>`now()`,
        ...(counts.totalCount !== undefined ? { total_count: counts.totalCount } : {}),
        ...(counts.processedCount !== undefined ? { processed_count: counts.processedCount } : {}),
      })
      .where('id', '=', 'current')
      .where('run_id', '=', runId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Records the run's end; false when the run no longer holds the row. */
  async finish(runId: string, state: 'done' | 'failed', error: string): Promise<boolean> {
    const result = await this.db
      .updateTable('audiolib_import')
      .set({ state, error, heartbeat_at: sql<Date>`now()`, finished_at: sql<Date>`now()` })
      .where('id', '=', 'current')
      .where('run_id', '=', runId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async read(): Promise<ImportRunRow> {
    const row = await this.db.selectFrom('audiolib_import').selectAll().where('id', '=', 'current').executeTakeFirstOrThrow();
    return {
      state: row.state,
      totalCount: row.total_count,
      processedCount: row.processed_count,
      error: row.error,
      startedAt: row.started_at,
      heartbeatAt: row.heartbeat_at,
      finishedAt: row.finished_at,
    };
  }
}
