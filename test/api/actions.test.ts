import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { connectEditor, type EditorConnection } from '../support/editor-client.js';
import type { ApiClient } from '../support/api-client.js';

/**
 * The action routes over HTTP: the editor API's shapes, statuses and who may call them. The history's
 * rules (undo, redo, depth, concurrent tabs) are asserted on the service, in
 * test/medium/action-history.test.ts.
 */
describe('action history over HTTP', () => {
  let server: TestServer;
  let editor: EditorConnection;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startTestServer('postgres');
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
    return response.body.entries as Array<{ id: string; name: string; data: unknown; canceled: boolean; createTime: number; modifTime: number }>;
  };

  it('answers the editor API shapes, with client and server times', async () => {
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

  it('answers 404 for the actions of a deleted project', async () => {
    const project = await newProject();
    await api.post('/api/actions', { project, id: 'doomed', name: 'x' });
    expect((await api.delete(`/api/projects/${project}`)).status).toBe(200);
    expect((await api.get(`/api/actions?project=${project}`)).status).toBe(404);
    expect((await api.patch('/api/actions/doomed', { canceled: true })).status).toBe(404);
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
