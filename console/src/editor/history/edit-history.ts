import { ok, type CutroomClient } from '../../api/client.js';
import type { Timeline } from '../timeline/timeline-model.js';

/**
 * Undo and redo through the editor API's action history. Every edit is an action whose `data` holds
 * the timeline before and after it; undo marks the newest active action `canceled: true`, redo
 * the oldest canceled one `false`, and a new edit drops the canceled ones (as the server does on
 * its side). Reopening a project reads `/api/actions` and lands where the user left off, even
 * if the project itself was saved earlier. Without a project the history is kept in memory.
 */

export interface ActionData {
  before: Timeline;
  after: Timeline;
}

interface Entry {
  id: string | undefined;
  name: string;
  data: ActionData;
  canceled: boolean;
}

export class EditHistory {
  private entries: Entry[] = [];
  private projectId: string | undefined;
  /** Serializes requests so the server sees actions in the order they were made. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly api: CutroomClient) {}

  get canUndo(): boolean {
    return this.entries.some((e) => !e.canceled);
  }

  get canRedo(): boolean {
    return this.entries.some((e) => e.canceled);
  }

  get size(): number {
    return this.entries.filter((e) => !e.canceled).length;
  }

  /** Starts syncing with a project's action history (after "save as"): the in-memory edits stay local. */
  attach(projectId: string): void {
    this.projectId = projectId;
    this.entries = [];
  }

  detach(): void {
    this.projectId = undefined;
    this.entries = [];
  }

  /** Loads a project's history; answers the timeline it ends at (undefined: no active action). */
  async load(projectId: string): Promise<Timeline | undefined> {
    this.projectId = projectId;
    const answer = await ok(this.api.GET('/api/actions', { params: { query: { project: projectId } } }));
    this.entries = answer.entries
      .map((action) => ({ id: action.id, name: action.name, data: action.data as ActionData, canceled: action.canceled }))
      .filter((entry) => entry.data && typeof entry.data === 'object' && 'after' in entry.data);
    return this.current();
  }

  /** The timeline the history ends at: after the newest active action, or before the oldest one when all are undone. */
  current(): Timeline | undefined {
    const active = this.entries.filter((e) => !e.canceled);
    if (active.length > 0) return active[active.length - 1]!.data.after;
    return this.entries[0]?.data.before;
  }

  async record(name: string, before: Timeline, after: Timeline): Promise<void> {
    const entry: Entry = { id: undefined, name, data: { before, after }, canceled: false };
    this.entries = [...this.entries.filter((e) => !e.canceled), entry];
    if (!this.projectId) return;
    const project = this.projectId;
    await this.enqueue(async () => {
      const answer = await ok(this.api.POST('/api/actions', { body: { project, name, data: entry.data } }));
      entry.id = answer.id;
    });
  }

  /** Answers the timeline to show after the undo, or undefined when there is nothing to undo. */
  async undo(): Promise<Timeline | undefined> {
    const active = this.entries.filter((e) => !e.canceled);
    const last = active[active.length - 1];
    if (!last) return undefined;
    last.canceled = true;
    await this.setCanceled(last, true);
    return last.data.before;
  }

  async redo(): Promise<Timeline | undefined> {
    const next = this.entries.find((e) => e.canceled);
    if (!next) return undefined;
    next.canceled = false;
    await this.setCanceled(next, false);
    return next.data.after;
  }

  private async setCanceled(entry: Entry, canceled: boolean): Promise<void> {
    if (!this.projectId) return;
    const project = this.projectId;
    await this.enqueue(async () => {
      if (!entry.id) return;
      await ok(this.api.PATCH('/api/actions/{id}', { params: { path: { id: entry.id }, query: { project } }, body: { canceled } }));
    });
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
