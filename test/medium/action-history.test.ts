import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ActionsRepository } from '../../control-plane/src/db/actions-repository.js';
import { ActionHistoryService } from '../../control-plane/src/services/projects/action-history.js';
import { startMediumServices, type MediumServices } from '../support/medium.js';

const DEPTH = 6;

interface ModelAction {
  id: string;
  name: string;
  dataJson: string;
  canceled: boolean;
}

/**
 * The history as the specification describes it, independent of the service: POST order; a new
 * action removes the canceled ones first; at most DEPTH actions, the oldest dropped; a client id
 * is kept when no action of the project has it.
 */
class HistoryModel {
  actions: ModelAction[] = [];

  post(action: { id?: string; name: string; dataJson: string }, answeredId: string): void {
    if (action.id !== undefined) {
      const taken = this.actions.some((a) => a.id === action.id);
      expect(answeredId === action.id, `client id ${action.id} kept`).toBe(!taken);
    }
    this.actions = this.actions.filter((a) => !a.canceled);
    this.actions.push({ id: answeredId, name: action.name, dataJson: action.dataJson, canceled: false });
    if (this.actions.length > DEPTH) this.actions = this.actions.slice(this.actions.length - DEPTH);
  }

  /** The editor's undo: the latest active action. */
  undoTarget(): ModelAction | undefined {
    return this.actions.filter((a) => !a.canceled).at(-1);
  }

  /** The editor's redo: the earliest canceled action. */
  redoTarget(): ModelAction | undefined {
    return this.actions.find((a) => a.canceled);
  }
}

/** A deterministic pseudo-random sequence, so a failing run can be replayed. */
function prng(seed: number) {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('action history (service, Postgres)', () => {
  let services: MediumServices;
  let owner: string;

  beforeAll(async () => {
    services = await startMediumServices({ ACTION_HISTORY_DEPTH: String(DEPTH) });
    owner = await services.factory.user();
  });
  afterAll(() => services?.destroy());

  const history = () => services.actions;
  const newProject = () => services.factory.project({ owner, name: 'History' });
  const listed = async (project: string) =>
    (await history().list(owner, project)).map(({ id, name, dataJson, canceled }) => ({ id, name, dataJson, canceled }));
  const post = async (project: string, model: HistoryModel, action: { id?: string; name: string; dataJson: string }) => {
    const { id } = await history().post(owner, { ...action, projectId: project });
    model.post(action, id);
    return id;
  };
  const setCanceled = async (target: ModelAction | undefined, canceled: boolean) => {
    if (!target) return;
    await history().setCanceled(owner, target.id, { canceled });
    target.canceled = canceled;
  };

  it('keeps client and server times: createTime defaults to now, modifTime follows each undo or redo', async () => {
    const project = await newProject();
    const before = Date.now();
    await history().post(owner, { projectId: project, id: 'timed', name: 'cut', createTimeMs: 1_000 });
    const { id: generated } = await history().post(owner, { projectId: project, name: 'trim' });
    expect(generated).toMatch(/^[\w-]{22}$/);
    await history().setCanceled(owner, 'timed', { canceled: true, modifTimeMs: 2_000 });
    const [first, second] = await history().list(owner, project);
    expect(first).toEqual({ id: 'timed', name: 'cut', dataJson: 'null', canceled: true, createMs: 1_000, modifMs: 2_000 });
    expect(second!.createMs).toBeGreaterThanOrEqual(before);
    expect(second!.modifMs).toBe(second!.createMs);
  });

  it('follows the model through undo, redo, new actions after undos, and the depth limit', async () => {
    const project = await newProject();
    const model = new HistoryModel();
    for (let i = 0; i < 3; i++) await post(project, model, { name: `a${i}`, dataJson: `{"i":${i}}` });
    expect(await listed(project)).toEqual(model.actions);

    // Undo twice, redo once: the redone action is active again, one stays canceled.
    await setCanceled(model.undoTarget(), true);
    await setCanceled(model.undoTarget(), true);
    expect(await listed(project)).toEqual(model.actions);
    await setCanceled(model.redoTarget(), false);
    expect(await listed(project)).toEqual(model.actions);
    expect(model.actions.map((a) => a.canceled)).toEqual([false, false, true]);

    // A new action after undos drops the redo branch.
    await setCanceled(model.undoTarget(), true);
    await post(project, model, { name: 'branch', dataJson: '"b"' });
    expect(await listed(project)).toEqual(model.actions);
    expect(model.actions.map((a) => a.name)).toEqual(['a0', 'branch']);

    // Past the depth, the oldest go.
    for (let i = 0; i < DEPTH + 3; i++) await post(project, model, { name: `n${i}`, dataJson: String(i) });
    expect(await listed(project)).toEqual(model.actions);
    expect(model.actions).toHaveLength(DEPTH);
    expect(model.actions[0]!.name).toBe('n3');
  });

  it('follows the model through a long random session', async () => {
    const project = await newProject();
    const model = new HistoryModel();
    const random = prng(20240611);
    for (let step = 0; step < 120; step++) {
      const roll = random();
      if (roll < 0.45) {
        // Sometimes the client reuses an id: kept only when free.
        const id = random() < 0.3 ? `c${Math.floor(random() * 8)}` : undefined;
        await post(project, model, { ...(id ? { id } : {}), name: `s${step}`, dataJson: JSON.stringify({ step, text: 'x'.repeat(step % 7) }) });
      } else if (roll < 0.75) {
        await setCanceled(model.undoTarget(), true);
      } else if (roll < 0.95) {
        await setCanceled(model.redoTarget(), false);
      } else {
        // Any action may be toggled, not only the ends of the stack.
        const any = model.actions[Math.floor(random() * model.actions.length)];
        await setCanceled(any, !any?.canceled);
      }
      if (step % 10 === 0) expect(await listed(project)).toEqual(model.actions);
    }
    expect(await listed(project)).toEqual(model.actions);
  });

  it('gives concurrent posts from two tabs one order, losing and duplicating nothing', async () => {
    const project = await newProject();
    const perTab = 20;
    const ids: string[][] = [[], []];
    // Each tab posts in sequence (as an editor does), the two tabs at the same time.
    await Promise.all(
      [0, 1].map(async (t) => {
        for (let i = 0; i < perTab; i++) ids[t]!.push((await history().post(owner, { projectId: project, name: `tab${t}-${i}` })).id);
      }),
    );
    // Only DEPTH are kept: the last DEPTH of one interleaving in which each tab's order holds.
    const kept = await history().list(owner, project);
    expect(kept).toHaveLength(DEPTH);
    expect(new Set(kept.map((a) => a.id)).size).toBe(DEPTH);
    for (const t of [0, 1]) {
      const mine = kept.filter((a) => a.name.startsWith(`tab${t}-`)).map((a) => a.id);
      expect(mine).toEqual(ids[t]!.filter((id) => mine.includes(id)));
    }
    expect([ids[0]!.at(-1), ids[1]!.at(-1)]).toContain(kept.at(-1)!.id);
    expect(await history().list(owner, project)).toEqual(kept);
  });

  it('keeps every one of many simultaneous posts under the depth, in a stable order, one of them with the asked id', async () => {
    const roomy = new ActionHistoryService(new ActionsRepository(services.database.db), { depth: 1000 });
    const project = await newProject();
    // Every post asks for the same client id: exactly one may have it.
    const answered = (await Promise.all(Array.from({ length: 40 }, (_, i) => roomy.post(owner, { projectId: project, id: 'dup', name: `p${i}` })))).map(
      (a) => a.id,
    );
    expect(new Set(answered).size).toBe(40);
    expect(answered.filter((id) => id === 'dup')).toHaveLength(1);
    const ids = (await roomy.list(owner, project)).map((a) => a.id);
    expect([...ids].sort()).toEqual([...answered].sort());
    expect(ids[0]).toBe('dup');
    expect((await roomy.list(owner, project)).map((a) => a.id)).toEqual(ids);
  });

  it('trims to the depth exactly under a burst of simultaneous posts', async () => {
    const project = await newProject();
    const answered = (await Promise.all(Array.from({ length: 30 }, (_, i) => history().post(owner, { projectId: project, name: `burst${i}` })))).map(
      (a) => a.id,
    );
    const kept = await history().list(owner, project);
    expect(kept).toHaveLength(DEPTH);
    expect(kept.every((a) => answered.includes(a.id))).toBe(true);
  });

  it('keeps an undo consistent with a post racing it: the history is one of the two orders', async () => {
    const project = await newProject();
    const model = new HistoryModel();
    for (let i = 0; i < 4; i++) await post(project, model, { name: `base${i}`, dataJson: String(i) });
    const undo = model.undoTarget()!;
    await Promise.all([history().setCanceled(owner, undo.id, { canceled: true }), history().post(owner, { projectId: project, name: 'racing' })]);
    const final = (await history().list(owner, project)).map((a) => `${a.name}:${a.canceled}`);
    const undoFirst = ['base0:false', 'base1:false', 'base2:false', 'racing:false'];
    const postFirst = ['base0:false', 'base1:false', 'base2:false', 'base3:true', 'racing:false'];
    expect([undoFirst, postFirst]).toContainEqual(final);
  });

  it('deletes the actions with their project', async () => {
    const project = await newProject();
    await history().post(owner, { projectId: project, id: 'doomed', name: 'x' });
    await services.projects.delete(owner, project);
    await expect(history().list(owner, project)).rejects.toMatchObject({ status: 404 });
    await expect(history().setCanceled(owner, 'doomed', { canceled: true })).rejects.toMatchObject({ status: 404 });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from actions where project_id = ${project}`.execute(services.database.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('deletes a project while posts to it are in flight without failing either', async () => {
    for (let round = 0; round < 5; round++) {
      const project = await newProject();
      const posts = Array.from({ length: 12 }, (_, i) =>
        history()
          .post(owner, { projectId: project, name: `late${i}` })
          .then(
            () => 200,
            (error: { status?: number }) => error.status,
          ),
      );
      await services.projects.delete(owner, project);
      const statuses = await Promise.all(posts);
      expect(
        statuses.every((status) => status === 200 || status === 404),
        statuses.join(),
      ).toBe(true);
      await expect(history().list(owner, project)).rejects.toMatchObject({ status: 404 });
    }
  });

  it('tells apart equal client ids in two projects, refusing an undo that names neither', async () => {
    const [first, second] = [await newProject(), await newProject()];
    await history().post(owner, { projectId: first, id: 'twin', name: 'one' });
    await history().post(owner, { projectId: second, id: 'twin', name: 'two' });
    await expect(history().setCanceled(owner, 'twin', { canceled: true })).rejects.toMatchObject({ status: 400, type: 'conflict' });
    await history().setCanceled(owner, 'twin', { canceled: true, projectId: second });
    expect((await history().list(owner, first))[0]!.canceled).toBe(false);
    expect((await history().list(owner, second))[0]!.canceled).toBe(true);
  });

  it("keeps another user's history out of reach, like a missing one", async () => {
    const project = await newProject();
    await history().post(owner, { projectId: project, id: 'mine', name: 'x' });
    const stranger = await services.factory.user('stranger');
    await expect(history().post(stranger, { projectId: project, name: 'intrusion' })).rejects.toMatchObject({ status: 404 });
    await expect(history().setCanceled(stranger, 'mine', { canceled: true })).rejects.toMatchObject({ status: 404 });
    await expect(history().list(stranger, project)).rejects.toMatchObject({ status: 404 });
    await expect(history().post(owner, { projectId: 'no-such-project', name: 'x' })).rejects.toMatchObject({ status: 404 });
    expect((await history().list(owner, project)).map((a) => [a.id, a.canceled])).toEqual([['mine', false]]);
  });
});
