import { ok } from '../api/client.js';
import type { OpsContext } from './ops-app.js';
import { usePoll } from './use-poll.js';

/** The answering replica's dispatcher: local render-node processes, or Kubernetes task resources and Jobs. */
export function DispatcherPanel({ context }: { context: OpsContext }) {
  const { value, error } = usePoll(() => ok(context.api.GET('/api/admin/dispatcher')), 2000, context.version);
  return (
    <section class="panel" aria-labelledby="dispatcher-title">
      <h2 id="dispatcher-title">Dispatcher</h2>
      {error && <p class="error">{error}</p>}
      {value && (
        <>
          <p data-testid="dispatcher">
            {value.name === 'local' ? 'Local render nodes' : 'Kubernetes task resources'}: {value.limit - value.capacity} busy of {value.limit} (
            {value.capacity} free)
          </p>
          {value.workers.length > 0 && (
            <table>
              <caption class="sr-only">Workers</caption>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Where</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {value.workers.map((worker) => (
                  <tr key={`${worker.taskId}-${worker.attempt}`}>
                    <td>
                      <code>{worker.taskId}</code>
                    </td>
                    <td>{worker.attempt}</td>
                    <td>{worker.node}</td>
                    <td>{worker.detail ?? 'running'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
