import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskStore } from '../../control-plane/src/work/task-store.js';
import { startMediumServices, type MediumServices } from '../support/medium.js';

/** An operator's retries, on the task store: what goes back to `pending`, and what its log says. */
let services: MediumServices;
let store: TaskStore;
const probe = (parentId?: string) => ({ kind: 'probe' as const, spec: { url: 'http://example.invalid/a.mp4' }, maxAttempts: 1, parentId });

beforeAll(async () => {
  services = await startMediumServices();
  store = new TaskStore(services.database.db);
});
afterAll(async () => services?.destroy());

/** A task that ended in error for good (as after its last attempt failed). */
async function failed(id: string): Promise<void> {
  await services.database.db
    .updateTable('tasks')
    .set({
      state: 'error',
      error: JSON.stringify({ type: 'engine_error', code: 'boom', message: 'it failed' }),
      attempts: 1,
      progress: 0.5,
      finished_at: new Date().toISOString(),
    })
    .where('id', '=', id)
    .execute();
}

describe('retrying tasks', () => {
  it('sends a failed task back to pending with one more attempt, its error cleared and its log saying so', async () => {
    const task = await store.create(probe());
    await failed(task.id);
    const retried = (await store.retry(task.id))!;
    expect(retried).toMatchObject({ state: 'pending', error: null, progress: 0, stage: null, finished_at: null });
    expect(retried.max_attempts).toBe(retried.attempts + 1);
    expect(retried.log.at(-1)).toBe(`retried by an operator after attempt ${retried.attempts}`);
    // Only a task in error is retried.
    expect(await store.retry(task.id)).toBeUndefined();
  });

  it('sends every failed, aborted or completed part of a render back to pending, each log saying it went with its render', async () => {
    const parent = await store.create(probe());
    const parts = [await store.create(probe(parent.id)), await store.create(probe(parent.id)), await store.create(probe(parent.id))];
    await failed(parts[0]!.id);
    await store.abort(parts[1]!.id);
    const retried = await store.retryParts(parent.id);
    expect(retried.map((t) => t.id).sort()).toEqual([parts[0]!.id, parts[1]!.id].sort());
    for (const part of retried) {
      expect(part).toMatchObject({ state: 'pending', error: null, progress: 0, finished_at: null });
      expect(part.log.at(-1)).toBe(`retried with its render after attempt ${part.attempts}`);
    }
    // The part still pending was left as it was.
    expect((await store.get(parts[2]!.id))!.log).toEqual(parts[2]!.log);
  });
});
