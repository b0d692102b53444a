import { ok } from '../api/client.js';
import type { OpsContext } from './ops-app.js';
import { usePoll } from './use-poll.js';

const STATES = ['pending', 'dispatched', 'running', 'completing', 'completed', 'error', 'aborted'] as const;

/** Tasks by kind and state (unfinished ones, and those finished in the last day). */
export function QueuePanel({ context }: { context: OpsContext }) {
  const { value, error } = usePoll(() => ok(context.api.GET('/api/admin/queue')), 2000, context.version);
  const kinds = [...new Set(value?.counts.map((c) => c.kind) ?? [])];
  const count = (kind: string, state: string) => value?.counts.find((c) => c.kind === kind && c.state === state)?.count ?? 0;
  return (
    <section class="panel" aria-labelledby="queue-title">
      <h2 id="queue-title">Queue</h2>
      {error && <p class="error">{error}</p>}
      {kinds.length === 0 ? (
        <p class="muted">No tasks in the last day.</p>
      ) : (
        <table data-testid="queue">
          <caption class="sr-only">Tasks by kind and state</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              {STATES.map((state) => (
                <th scope="col" key={state}>
                  {state}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {kinds.map((kind) => (
              <tr key={kind}>
                <th scope="row">{kind}</th>
                {STATES.map((state) => (
                  <td key={state} data-kind={kind} data-state={state}>
                    {count(kind, state)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
