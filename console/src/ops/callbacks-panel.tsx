import { ok } from '../api/client.js';
import type { OpsContext } from './ops-app.js';
import { usePoll } from './use-poll.js';

/** The callback outbox: counts, what is pending or failed, and re-delivery of a failed callback. */
export function CallbacksPanel({ context }: { context: OpsContext }) {
  const { value, error } = usePoll(
    () => ok(context.api.GET('/api/admin/callbacks', { params: { query: { delivery: 'pending,failed', count: 20 } } })),
    2000,
    context.version,
  );
  async function redeliver(id: string): Promise<void> {
    try {
      await ok(context.api.POST('/api/admin/callbacks/{id}/redeliver', { params: { path: { id } } }));
      context.acted(`Callback ${id} will be sent again`);
    } catch (failure) {
      context.acted(`Re-delivery failed: ${(failure as Error).message}`);
    }
  }
  return (
    <section class="panel" aria-labelledby="callbacks-title">
      <h2 id="callbacks-title">Callback outbox</h2>
      {error && <p class="error">{error}</p>}
      {value && (
        <p data-testid="callback-counts">
          {value.counts.pending} pending · {value.counts.failed} failed · {value.counts.delivered} delivered · {value.counts.skipped} skipped (no callBackUrl)
        </p>
      )}
      {value && value.entries.length > 0 && (
        <table>
          <caption class="sr-only">Pending and failed callbacks</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Next try / last error</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {value.entries.map((event) => (
              <tr key={event.id} data-event-id={event.id}>
                <td>
                  {event.type}
                  <div class="muted">{event.callbackUrl ?? 'no callBackUrl'}</div>
                </td>
                <td>
                  <span class={`badge delivery-${event.delivery}`}>{event.delivery}</span>
                </td>
                <td>{event.attempts}</td>
                <td>
                  {event.delivery === 'pending' && <div>{new Date(event.nextAttemptTime).toLocaleTimeString()}</div>}
                  {event.lastError && <div class="error">{event.lastError}</div>}
                </td>
                <td>
                  {event.delivery === 'failed' && (
                    <button type="button" onClick={() => void redeliver(event.id)} aria-label={`Re-deliver callback ${event.id}`}>
                      Re-deliver
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
