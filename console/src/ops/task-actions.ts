import { ok } from '../api/client.js';
import type { OpsContext } from './ops-app.js';

/** Abort and retry, confirmed first, with the outcome said back. */

export async function abortTask(context: OpsContext, id: string): Promise<void> {
  if (!window.confirm(`Abort task ${id}? Its worker is stopped and its partial outputs removed.`)) return;
  try {
    const task = await ok(context.api.POST('/api/admin/tasks/{id}/abort', { params: { path: { id } } }));
    context.acted(`Task ${id} is ${task.state}`);
  } catch (error) {
    context.acted(`Abort failed: ${(error as Error).message}`);
  }
}

export async function retryTask(context: OpsContext, id: string): Promise<void> {
  try {
    const task = await ok(context.api.POST('/api/admin/tasks/{id}/retry', { params: { path: { id } } }));
    context.acted(`Task ${id} is ${task.state} again (attempt ${task.attempts + 1} of ${task.maxAttempts})`);
  } catch (error) {
    context.acted(`Retry failed: ${(error as Error).message}`);
  }
}
