import type { ActionRow, ActionsRepository, NewActionRow } from '../../db/actions-repository.js';
import { HttpError, internalError, notFound } from '../../http/errors.js';
import { newId } from '../../ids.js';

/**
 * The action history of a project, kept so an editor can restore changes made between
 * autosaves and undo/redo them. Actions are listed in POST order. A new action first removes
 * the project's canceled actions (the redo branch), and at most `depth` actions are kept per
 * project, the oldest dropped.
 */

export interface NewAction {
  projectId: string;
  /** The client's id; kept when no action of the project has it, else a new one is made. */
  id?: string | undefined;
  name?: string | undefined;
  /** The JSON text of `data`; absent means `null`. */
  dataJson?: string | undefined;
  createTimeMs?: number | undefined;
}

export type ActionView = ActionRow;

export class ActionHistoryService {
  constructor(
    private readonly actions: ActionsRepository,
    private readonly options: { depth: number },
    private readonly nowMs: () => number = Date.now,
  ) {}

  async post(ownerId: string, input: NewAction): Promise<{ id: string }> {
    const row: NewActionRow = {
      projectId: input.projectId,
      ownerId,
      clientId: input.id,
      generatedId: newId(),
      name: input.name ?? '',
      dataJson: input.dataJson ?? 'null',
      createMs: input.createTimeMs ?? this.nowMs(),
      depth: this.options.depth,
    };
    const first = await this.actions.post(row);
    if (first.outcome === 'posted') return { id: first.id };
    if (first.outcome === 'missing') throw notFound(`no project ${input.projectId}`);
    // Another write to this history came first: repeat holding the history's lock.
    let locked: Awaited<ReturnType<ActionsRepository['post']>> | undefined;
    const found = await this.actions.withHeadLock(input.projectId, ownerId, async (trx) => {
      locked = await this.actions.post(row, trx);
    });
    if (!found) throw notFound(`no project ${input.projectId}`);
    if (locked?.outcome !== 'posted') throw internalError();
    return { id: locked.id };
  }

  /** Undo (`canceled: true`) or redo (`false`) an action. */
  async setCanceled(
    ownerId: string,
    actionId: string,
    input: { canceled: boolean; modifTimeMs?: number | undefined; projectId?: string | undefined },
  ): Promise<void> {
    const { matches, changed } = await this.actions.setCanceled(ownerId, actionId, input.projectId, input.canceled, input.modifTimeMs ?? this.nowMs());
    if (matches > 1) {
      // A 400, as the editor API lists its statuses for this route; the type says why.
      throw new HttpError(400, 'conflict', `actions of several projects have the id ${actionId}: name the project with ?project=<id>`, 'Ambiguous action id');
    }
    if (changed === 0) throw notFound(`no action ${actionId}`);
  }

  async list(ownerId: string, projectId: string): Promise<ActionView[]> {
    const actions = await this.actions.list(projectId, ownerId);
    if (!actions) throw notFound(`no project ${projectId}`);
    return actions;
  }
}
