import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { drivers } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor, type EditorConnection } from '../support/editor-client.js';
import type { ApiClient } from '../support/api-client.js';

const DEPTH = 6;

interface ModelAction {
  id: string;
  name: string;
  data: unknown;
  canceled: boolean;
}

/**
 * The history as the specification describes it, independent of the server: POST order; a new
 * action removes the canceled ones first; at most DEPTH actions, the oldest dropped; a client id
 * is kept when no action of the project has it.
 */
class HistoryModel {
  actions: ModelAction[] = [];

  post(action: { id?: string; name: string; data: unknown }, answeredId: string): void {
    if (action.id !== undefined) {
      const taken = this.actions.some((a) => a.id === action.id);
      expect(answeredId === action.id, `client id ${action.id} kept`).toBe(!taken);
    }
    this.actions = this.actions.filter((a) => !a.canceled);
    this.actions.push({ id: answeredId, name: action.name, data: action.data, canceled: false });
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

describe.each(drivers)('action history (%s)', (driver) => {
  let server: TestServer;
  let editor: EditorConnection;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startTestServer(driver, { ACTION_HISTORY_DEPTH: String(DEPTH) });
    editor = await connectEditor(server.wsUrl);
    api = server.api(editor.authToken);
  });
  // The server closes the sockets itself first, so no token release races its shutdown.
  afterAll(async () => {
    await server?.destroy();
    await editor?.close();
  });

  const newProject = async (client = api) => (await client.post('/api/projects', { name: 'History', data: {} })).body.id as string;
  const entries = async (project: string, client = api) => {
    const response = await client.get(`/api/actions?project=${project}`);
    expect(response.status).toBe(200);
    return response.body.entries as Array<ModelAction & { createTime: number; modifTime: number }>;
  };
  const expectMatches = async (project: string, model: HistoryModel) => {
    const server = (await entries(project)).map(({ id, name, data, canceled }) => ({ id, name, data, canceled }));
    expect(server).toEqual(model.actions);
  };
  const post = async (project: string, model: HistoryModel, action: { id?: string; name: string; data: unknown }) => {
    const response = await api.post('/api/actions', { ...action, project });
    expect(response.status).toBe(200);
    model.post(action, response.body.id);
    return response.body.id as string;
  };
  const setCanceled = async (target: ModelAction | undefined, canceled: boolean) => {
    if (!target) return;
    const response = await api.patch(`/api/actions/${encodeURIComponent(target.id)}`, { canceled });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    target.canceled = canceled;
  };

  it('answers the seed shapes, with client and server times', async () => {
    const project = await newProject();
    const before = Date.now();
    const posted = await api.post('/api/actions', { id: '1632798732', project, name: 'cut', data: { at: 5 }, createTime: 1_000 });
    expect(posted.body).toEqual({ id: '1632798732' });
    const generated = await api.post('/api/actions', { projectId: project, name: 'trim', data: 'raw text' });
    expect(generated.body.id).toMatch(/^[\w-]{22}$/);
    const patched = await api.patch('/api/actions/1632798732', { canceled: true, modifTime: 2_000 });
    expect(patched.body).toEqual({});

    const list = await entries(project);
    expect(list[0]).toEqual({ id: '1632798732', name: 'cut', data: { at: 5 }, canceled: true, createTime: 1_000, modifTime: 2_000 });
    expect(Object.keys(list[1]!)).toEqual(['id', 'name', 'data', 'canceled', 'createTime', 'modifTime']);
    expect(list[1]!.createTime).toBeGreaterThanOrEqual(before);
    expect(list[1]!.modifTime).toBe(list[1]!.createTime);
  });

  it('follows the model through undo, redo, new actions after undos, and the depth limit', async () => {
    const project = await newProject();
    const model = new HistoryModel();
    for (let i = 0; i < 3; i++) await post(project, model, { name: `a${i}`, data: { i } });
    await expectMatches(project, model);

    // Undo twice, redo once: the redone action is active again, one stays canceled.
    await setCanceled(model.undoTarget(), true);
    await setCanceled(model.undoTarget(), true);
    await expectMatches(project, model);
    await setCanceled(model.redoTarget(), false);
    await expectMatches(project, model);
    expect(model.actions.map((a) => a.canceled)).toEqual([false, false, true]);

    // A new action after undos drops the redo branch.
    await setCanceled(model.undoTarget(), true);
    await post(project, model, { name: 'branch', data: 'b' });
    await expectMatches(project, model);
    expect(model.actions.map((a) => a.name)).toEqual(['a0', 'branch']);

    // Past the depth, the oldest go.
    for (let i = 0; i < DEPTH + 3; i++) await post(project, model, { name: `n${i}`, data: i });
    await expectMatches(project, model);
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
        await post(project, model, { ...(id ? { id } : {}), name: `s${step}`, data: { step, text: 'x'.repeat(step % 7) } });
      } else if (roll < 0.75) {
        await setCanceled(model.undoTarget(), true);
      } else if (roll < 0.95) {
        await setCanceled(model.redoTarget(), false);
      } else {
        // Any action may be toggled, not only the ends of the stack.
        const any = model.actions[Math.floor(random() * model.actions.length)];
        await setCanceled(any, !any?.canceled);
      }
      if (step % 10 === 0) await expectMatches(project, model);
    }
    await expectMatches(project, model);
  });

  it('gives concurrent posts from two tabs one order, losing and duplicating nothing', async () => {
    const project = await newProject();
    const tabs = [api, server.api(editor.authToken)];
    const perTab = 20;
    const ids: string[][] = [[], []];
    // Each tab posts in sequence (as an editor does), the two tabs at the same time.
    await Promise.all(
      tabs.map(async (tab, t) => {
        for (let i = 0; i < perTab; i++) {
          const response = await tab.post('/api/actions', { project, name: `tab${t}-${i}`, data: { t, i } });
          expect(response.status).toBe(200);
          ids[t]!.push(response.body.id);
        }
      }),
    );
    // Only DEPTH are kept: the last DEPTH of one interleaving in which each tab's order holds.
    const kept = await entries(project);
    expect(kept).toHaveLength(DEPTH);
    expect(new Set(kept.map((a) => a.id)).size).toBe(DEPTH);
    for (const t of [0, 1]) {
      const mine = kept.filter((a) => a.name.startsWith(`tab${t}-`)).map((a) => a.id);
      expect(mine).toEqual(ids[t]!.filter((id) => mine.includes(id)));
    }
    const lastOfEachTab = [ids[0]!.at(-1), ids[1]!.at(-1)];
    expect(lastOfEachTab.some((id) => id === kept.at(-1)!.id)).toBe(true);
    expect(await entries(project)).toEqual(kept);
  });

  it('keeps every one of many simultaneous posts under the depth, in a stable order', async () => {
    const roomy = await startTestServer(driver, { ACTION_HISTORY_DEPTH: '1000' });
    try {
      const tab = await connectEditor(roomy.wsUrl);
      const client = roomy.api(tab.authToken);
      const project = (await client.post('/api/projects', { name: 'Burst' })).body.id as string;
      // Every post asks for the same client id: exactly one may have it.
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => client.post('/api/actions', { project, id: 'dup', name: `p${i}` })));
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      const answeredIds = answers.map((a) => a.body.id as string);
      expect(new Set(answeredIds).size).toBe(40);
      expect(answeredIds.filter((id) => id === 'dup')).toHaveLength(1);
      const listed = (await client.get(`/api/actions?project=${project}`)).body.entries as Array<{ id: string }>;
      expect(listed.map((a) => a.id).sort()).toEqual([...answeredIds].sort());
      expect(listed[0]!.id).toBe('dup');
      expect((await client.get(`/api/actions?project=${project}`)).body.entries).toEqual(listed);
    } finally {
      // Destroying the server closes the tab's socket.
      await roomy.destroy();
    }
  });

  it('trims to the depth exactly under a burst of simultaneous posts', async () => {
    const project = await newProject();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => api.post('/api/actions', { project, name: `burst${i}`, data: i })));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const kept = await entries(project);
    expect(kept).toHaveLength(DEPTH);
    const answeredIds = answers.map((a) => a.body.id);
    expect(kept.every((a) => answeredIds.includes(a.id))).toBe(true);
  });

  it('keeps undo and redo from one tab consistent with posts from another', async () => {
    const project = await newProject();
    const model = new HistoryModel();
    for (let i = 0; i < 4; i++) await post(project, model, { name: `base${i}`, data: i });
    const other = server.api(editor.authToken);
    const undo = model.undoTarget()!;
    // The undo and a new action race; either order is a valid history, and it must be one of them.
    const [patched, posted] = await Promise.all([
      other.patch(`/api/actions/${undo.id}`, { canceled: true }),
      api.post('/api/actions', { project, name: 'racing', data: null }),
    ]);
    expect([patched.status, posted.status]).toEqual([200, 200]);
    const final = (await entries(project)).map((a) => `${a.name}:${a.canceled}`);
    const undoFirst = ['base0:false', 'base1:false', 'base2:false', 'racing:false'];
    const postFirst = ['base0:false', 'base1:false', 'base2:false', 'base3:true', 'racing:false'];
    expect([undoFirst, postFirst]).toContainEqual(final);
  });

  it('deletes the actions with their project', async () => {
    const project = await newProject();
    await api.post('/api/actions', { project, id: 'doomed', name: 'x' });
    expect((await api.delete(`/api/projects/${project}`)).status).toBe(200);
    expect((await api.get(`/api/actions?project=${project}`)).status).toBe(404);
    expect((await api.patch('/api/actions/doomed', { canceled: true })).status).toBe(404);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from actions where project_id = ${project}`.execute(server.controlPlane.database.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('deletes a project while a tab posts to it without failing either', async () => {
    for (let round = 0; round < 5; round++) {
      const project = await newProject();
      const posts = Array.from({ length: 12 }, (_, i) => api.post('/api/actions', { project, name: `late${i}` }));
      const deleted = api.delete(`/api/projects/${project}`);
      const statuses = (await Promise.all(posts)).map((r) => r.status);
      expect((await deleted).status).toBe(200);
      expect(
        statuses.every((status) => status === 200 || status === 404),
        statuses.join(),
      ).toBe(true);
      expect((await api.get(`/api/actions?project=${project}`)).status).toBe(404);
    }
  });

  it('tells apart equal client ids in two projects', async () => {
    const [first, second] = [await newProject(), await newProject()];
    await api.post('/api/actions', { project: first, id: 'twin', name: 'one' });
    await api.post('/api/actions', { project: second, id: 'twin', name: 'two' });
    const ambiguous = await api.patch('/api/actions/twin', { canceled: true });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error.type).toBe('conflict');
    expect((await api.patch(`/api/actions/twin?project=${second}`, { canceled: true })).status).toBe(200);
    expect((await entries(first))[0]!.canceled).toBe(false);
    expect((await entries(second))[0]!.canceled).toBe(true);
  });

  it('refuses bad input, and what belongs to another user, like a missing object', async () => {
    const project = await newProject();
    await api.post('/api/actions', { project, id: 'mine', name: 'x' });
    for (const canceled of ['yes', 1, null, undefined]) {
      const response = await api.patch('/api/actions/mine', canceled === undefined ? {} : { canceled });
      expect(response.status, String(canceled)).toBe(400);
      expect(response.body.error.message).toMatch(/canceled/);
    }
    expect((await api.post('/api/actions', { name: 'no project' })).status).toBe(400);
    expect((await api.post('/api/actions', { project, createTime: 'yesterday' })).status).toBe(400);
    expect((await api.post('/api/actions', { project, id: {} })).status).toBe(400);
    expect((await api.get('/api/actions')).status).toBe(400);
    expect((await api.patch('/api/actions/nobody', { canceled: true })).status).toBe(404);
    expect((await api.post('/api/actions', { project: 'no-such-project', name: 'x' })).status).toBe(404);

    const stranger = await connectEditor(server.wsUrl);
    const theirs = server.api(stranger.authToken);
    expect((await theirs.post('/api/actions', { project, name: 'intrusion' })).status).toBe(404);
    expect((await theirs.patch('/api/actions/mine', { canceled: true })).status).toBe(404);
    expect((await theirs.get(`/api/actions?project=${project}`)).status).toBe(404);
    expect((await entries(project)).map((a) => [a.id, a.canceled])).toEqual([['mine', false]]);
    // The stranger's socket is closed by the server at teardown.
  });
});
