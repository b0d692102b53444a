import { ok } from '../api/client.js';
import type { OpsContext } from './ops-app.js';
import { retryTask } from './task-actions.js';
import { usePoll } from './use-poll.js';

/** Tasks that failed for good, with the end of their log (ffmpeg's stderr among it). */
export function FailuresPanel({ context }: { context: OpsContext }) {
  const { value, error } = usePoll(() => ok(context.api.GET('/api/admin/failures', { params: { query: { count: 10 } } })), 3000, context.version);
  return (
    <section class="panel wide" aria-labelledby="failures-title">
      <h2 id="failures-title">Recent failures</h2>
      {error && <p class="error">{error}</p>}
      {value?.entries.length === 0 && <p class="muted">No failures.</p>}
      <ul style={{ listStyle: 'none', padding: 0 }}>
        {value?.entries.map((task) => (
          <li key={task.id} data-testid="failure" class="clip-row" style={{ display: 'block' }}>
            <div class="row">
              <strong>
                {task.kind} <code>{task.id}</code>
              </strong>
              <span class="muted">{task.finishTime ? new Date(task.finishTime).toLocaleString() : ''}</span>
              <span class="error">{task.error ? `${task.error.code}: ${task.error.message}` : ''}</span>
              <button type="button" onClick={() => void retryTask(context, task.id)} aria-label={`Retry task ${task.id}`}>
                Retry
              </button>
            </div>
            {task.logTail.length > 0 && <pre class="log">{task.logTail.join('\n')}</pre>}
          </li>
        ))}
      </ul>
    </section>
  );
}
