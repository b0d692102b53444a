import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../control-plane/src/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { settledMedia, signedInUser, type TestUser } from '../support/media-factory.js';
import { smallMp4 } from '../support/media.js';
import { upload } from '../support/uploader.js';
import { clip, downloadUrl, followEditing, probeOutput, xtl } from '../support/editing.js';

/**
 * `make run` on a laptop: the control plane on the embedded PGlite, through its API. The HTTP
 * suites run on Postgres; these flows cover what the embedded driver does its own way: one
 * connection for every transaction and row lock (concurrent saves of a project and of its action
 * history), no LISTEN/NOTIFY (task progress reaches the owner's socket in-process), json and text
 * columns with characters Postgres cannot hold raw, and the work system (ingest and render).
 */
describe('laptop flows on PGlite', () => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startTestServer('pglite', { WORKERS: '2', DISPATCH_INTERVAL_MS: '100', ACTION_HISTORY_DEPTH: '6' });
    user = await signedInUser(server, 'laptop');
  });
  afterAll(async () => {
    await user?.editor.close();
    await server?.destroy();
  });

  it('runs on the embedded database', () => {
    expect(server.controlPlane.database.driver).toBe('pglite');
  });

  it('keeps one whole version and its media index when two tabs save a project at once', async () => {
    const { body } = await user.api.post('/api/projects', { name: 'Two tabs', data: {} });
    const id = body.id as string;
    const secondTab = server.api(user.token);
    const saves = Array.from({ length: 12 }, (_, i) => {
      const ids = [newId(), newId()];
      return { ids, data: { tab: i % 2, clips: ids, note: `nul \u0000 and a lone \ud800 surrogate ${'x'.repeat(20_000)}` } };
    });
    const results = await Promise.all(saves.map((save, i) => (i % 2 ? secondTab : user.api).patch(`/api/projects/${id}`, { data: save.data })));
    expect(results.map((r) => r.status)).toEqual(saves.map(() => 200));
    const final = (await user.api.get(`/api/projects/${id}`)).body.data;
    const winner = saves.find((save) => JSON.stringify(save.data) === JSON.stringify(final));
    expect(winner).toBeDefined();
    expect(await server.controlPlane.services.projects.mediaIds(user.id, id)).toEqual([...winner!.ids].sort());
  });

  it('gives concurrent action posts from two tabs one order, trimmed to the depth', async () => {
    const project = (await user.api.post('/api/projects', { name: 'History' })).body.id as string;
    const secondTab = server.api(user.token);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? secondTab : user.api).post('/api/actions', { project, name: `a${i}`, data: { i } })),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const answered = answers.map((a) => a.body.id as string);
    expect(new Set(answered).size).toBe(20);
    const listed = (await user.api.get(`/api/actions?project=${project}`)).body.entries as Array<{ id: string; canceled: boolean }>;
    expect(listed).toHaveLength(6);
    expect(listed.every((a) => answered.includes(a.id) && !a.canceled)).toBe(true);
    // Undo then a new action drops the redo branch.
    expect((await user.api.patch(`/api/actions/${listed.at(-1)!.id}`, { canceled: true })).status).toBe(200);
    await user.api.post('/api/actions', { project, name: 'after undo' });
    const after = (await user.api.get(`/api/actions?project=${project}`)).body.entries as Array<{ id: string; name: string }>;
    expect(after.map((a) => a.id)).not.toContain(listed.at(-1)!.id);
    expect(after.at(-1)!.name).toBe('after undo');
  });

  it('uploads a file, ingests it with progress pushed to the socket, lists it, and renders it', async () => {
    const bytes = await fs.readFile(await smallMp4(2));
    const { id, last } = await upload(user.api, 'laptop.mp4', bytes, 64 * 1024);
    expect(last.status).toBe(200);
    const ready = await settledMedia(user, id);
    expect(ready).toMatchObject({ status: 'ready', progress: 100, error: null, width: 320, height: 240 });
    // Without LISTEN/NOTIFY the ingest's progress still reaches its owner's socket.
    expect(user.editor.messages.some((m) => m.type === 'task_progress' && m.payload.kind === 'ingest')).toBe(true);
    const listed = await user.api.get('/api/mediafiles?filter=video&search=laptop');
    expect(listed.body.entries.map((e: { id: string }) => e.id)).toEqual([id]);

    const created = await user.api.post('/api/task/editing', { xtl_task: xtl(`<group><track>${clip(id, '00:00:00:00', '00:00:01:00')}</track></group>`) });
    expect(created.status, created.text).toBe(200);
    const { last: done } = await followEditing(user.api, created.body.taskId);
    expect(done).toMatchObject({ status: 'completed', progress: 100, error: null });
    const output = await probeOutput(await downloadUrl(done.outputUrls[0]!, 'laptop-render.mp4'));
    expect(output).toMatchObject({ frames: 25, width: 320, height: 240 });
  });
});
