import type { IdentityService } from '../identity/identity.js';

export interface StatAnswer {
  activeUsersCount: number;
  activeBuildThumbsTasksCount: number;
  activeRenderTasksCount: number;
  activeImportFromURLTasksCount: number;
  activeImportFromLocalDriveCount: number;
  /** Extension: voiceover sessions open on every replica. */
  activeVoiceoverSessionsCount: number;
}

/** Counts of work in flight, by the editor API's categories. */
export interface ActiveWorkCounter {
  activeWork(): Promise<Omit<StatAnswer, 'activeUsersCount'>>;
}

/** `/api/stat`: live figures, read from the database on every call. */
export class StatsService {
  constructor(
    private readonly identity: IdentityService,
    private readonly work: ActiveWorkCounter,
  ) {}

  async stat(): Promise<StatAnswer> {
    const [activeUsersCount, work] = await Promise.all([this.identity.activeUsersCount(), this.work.activeWork()]);
    return { activeUsersCount, ...work };
  }
}
