import { ok } from '../api/client.js';
import type { OpsContext } from './ops-app.js';
import { usePoll } from './use-poll.js';

const LABELS: Record<string, string> = {
  activeUsersCount: 'Active users',
  activeRenderTasksCount: 'Renders',
  activeBuildThumbsTasksCount: 'Thumbnail builds',
  activeImportFromURLTasksCount: 'URL imports',
  activeImportFromLocalDriveCount: 'Uploads',
};

/** `/api/stat`, live. */
export function StatPanel({ context }: { context: OpsContext }) {
  const { value, error } = usePoll(() => ok(context.api.GET('/api/stat')), 2000, context.version);
  return (
    <section class="panel" aria-labelledby="stat-title">
      <h2 id="stat-title">Live statistics</h2>
      {error && <p class="error">{error}</p>}
      <dl class="grid-2" data-testid="stat">
        {value &&
          Object.entries(value).map(([key, count]) => (
            <div key={key}>
              <dt class="muted">{LABELS[key] ?? key}</dt>
              <dd style={{ margin: 0, fontSize: '1.4rem' }}>{count}</dd>
            </div>
          ))}
      </dl>
    </section>
  );
}
