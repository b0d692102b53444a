import { useState } from 'preact/hooks';
import { ok } from '../api/client.js';
import type { AdminTaskList } from '../api/types.js';
import type { OpsContext } from './ops-app.js';
import { abortTask, retryTask } from './task-actions.js';
import { usePoll } from './use-poll.js';

const ACTIVE = ['pending', 'dispatched', 'running', 'completing'];

const ago = (ms: number | null) => (ms === null ? '—' : `${Math.max(0, Math.round((Date.now() - ms) / 1000))} s ago`);

/** Tasks, newest first: state, progress, node, attempts and last error, with abort and retry. */
export function TasksPanel({ context }: { context: OpsContext }) {
  const [scope, setScope] = useState<'active' | 'all'>('all');
  const { value, error } = usePoll(
    () => ok(context.api.GET('/api/admin/tasks', { params: { query: { count: 25, ...(scope === 'active' ? { state: ACTIVE.join(',') } : {}) } } })),
    1000,
    context.version * 2 + (scope === 'active' ? 1 : 0),
  );
  return (
    <section class="panel wide" aria-labelledby="tasks-title">
      <h2 id="tasks-title">Tasks</h2>
      <div class="row">
        <label for="task-scope">Show</label>
        <select id="task-scope" value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value as 'active' | 'all')}>
          <option value="all">the newest tasks</option>
          <option value="active">queued and running tasks</option>
        </select>
        <span class="muted">{value ? `${value.total_count} in all` : ''}</span>
      </div>
      {error && <p class="error">{error}</p>}
      <TaskTable context={context} tasks={value?.entries ?? []} />
    </section>
  );
}

function TaskTable({ context, tasks }: { context: OpsContext; tasks: AdminTaskList['entries'] }) {
  if (tasks.length === 0) return <p class="muted">No tasks.</p>;
  return (
    <table data-testid="tasks">
      <caption class="sr-only">Tasks</caption>
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Kind</th>
          <th scope="col">State</th>
          <th scope="col">Progress</th>
          <th scope="col">Attempts</th>
          <th scope="col">Node</th>
          <th scope="col">Heartbeat</th>
          <th scope="col">Last error</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((task) => (
          <tr key={task.id} data-task-id={task.id} data-state={task.state}>
            <td>
              <code>{task.id}</code>
            </td>
            <td>{task.kind}</td>
            <td>
              <span class={`badge state-${task.state}`}>{task.state}</span>
              {task.stage && <div class="muted">{task.stage}</div>}
            </td>
            <td>
              <progress max={100} value={task.progress} aria-label={`Progress of task ${task.id}`} /> {task.progress}%
            </td>
            <td>
              {task.attempts} / {task.maxAttempts}
            </td>
            <td>{task.node ?? (task.claimedBy ? `replica ${task.claimedBy}` : '—')}</td>
            <td>{ACTIVE.includes(task.state) ? ago(task.heartbeatTime) : '—'}</td>
            <td class="error">{task.error ? `${task.error.code}: ${task.error.message}` : ''}</td>
            <td>
              {ACTIVE.includes(task.state) && task.state !== 'completing' && (
                <button type="button" class="danger" onClick={() => void abortTask(context, task.id)} aria-label={`Abort task ${task.id}`}>
                  Abort
                </button>
              )}
              {task.state === 'error' && (
                <button type="button" onClick={() => void retryTask(context, task.id)} aria-label={`Retry task ${task.id}`}>
                  Retry
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
