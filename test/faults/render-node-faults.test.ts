import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startControlPlaneProcess, type ControlPlaneProcess } from '../support/control-plane-process.js';
import { connectEditor } from '../support/editor-client.js';
import { makeMedia } from '../support/media.js';
import { chunks, putChunk } from '../support/uploader.js';
import { clip, followEditing, xtl } from '../support/editing.js';
import type { ApiClient } from '../support/api-client.js';

/**
 * Render nodes that misbehave: one that floods its stderr (300 MB, with and without newlines)
 * must not grow the control plane's memory, and one whose output passes MAX_FILE_SIZE must be
 * stopped by the signed upload's limit, leaving no object behind. (A node that hangs is
 * reclaimed by the watchdog: test/work/work-system.test.ts, "a hung node".)
 */

describe('misbehaving render nodes', () => {
  let cp: ControlPlaneProcess;
  let api: ApiClient;
  let sourceId: string;
  let scripts: string;
  const MiB = 2 ** 20;
  beforeAll(async () => {
    scripts = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-bad-nodes-'));
    // 150 MB of one endless line, then 150 MB of short lines, then a failure.
    await fs.writeFile(
      path.join(scripts, 'flood.mjs'),
      `const block = 'x'.repeat(1 << 20);
const lines = ('ffmpeg says something\\n').repeat(40000);
const write = (text) => new Promise((resolve) => (process.stderr.write(text) ? resolve() : process.stderr.once('drain', resolve)));
for (let i = 0; i < 150; i++) await write(block);
for (let i = 0; i < 170; i++) await write(lines);
process.exit(3);
`,
    );
    cp = await startControlPlaneProcess({
      WORKERS: '1',
      DISPATCH_INTERVAL_MS: '200',
      MAX_ATTEMPTS: '1',
      TASK_HEARTBEAT_TIMEOUT_S: '20',
      TOKEN_GRACE_SECONDS: '600',
    });
    const { id } = (await cp.api().post('/api/users', { name: 'editor' })).body;
    const editor = await connectEditor(cp.wsUrl, { authToken: randomUUID(), sessionId: id });
    api = cp.api(editor.authToken);
    const bytes = await fs.readFile(
      await makeMedia('bad-node-6s.mp4', [
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x360:rate=25:duration=6',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-b:v',
        '2M',
        '-pix_fmt',
        'yuv420p',
      ]),
    );
    sourceId = (await api.post('/api/upload/media', { size: bytes.length, name: 'source.mp4' })).body.id;
    for (const chunk of chunks(bytes.length, 4 * MiB)) await putChunk(api, sourceId, bytes, chunk);
    await vi.waitFor(async () => expect((await api.get(`/api/mediafiles/${sourceId}`)).body.status).toBe('ready'), { timeout: 60_000, interval: 100 });
  }, 120_000);
  afterAll(async () => {
    await cp?.destroy();
    await fs.rm(scripts, { recursive: true, force: true });
  });

  const render = async () => {
    const submitted = await api.post('/api/task/editing', {
      xtl_task: xtl(`<group output="out.mp4" quality="high"><track>${clip(sourceId, '00:00:00:00', '00:00:06:00')}</track></group>`),
    });
    expect(submitted.status).toBe(200);
    return submitted.body as { taskId: string; fileId: string };
  };

  it('keeps its memory bounded when a render node floods its stderr', async () => {
    await cp.kill9();
    await cp.start({ RENDER_NODE_COMMAND: `${process.execPath} ${path.join(scripts, 'flood.mjs')}` });
    const before = await cp.usage();
    const { taskId } = await render();
    const done = await followEditing(api, taskId, { timeoutMs: 90_000, intervalMs: 500 });
    const after = await cp.usage();
    expect(done.last.status).toBe('error');
    expect(done.last.error?.message).toMatch(/exited with code 3/);
    // 300 MB went through the pipe; the control plane kept a few lines of it.
    expect(after.rssBytes - before.rssBytes).toBeLessThan(100 * MiB);
    expect(cp.output()).toMatch(/further output dropped after 2000 lines/);
    expect((await api.get('/api/projects')).status).toBe(200);
    console.log(
      `stderr flood: control plane RSS ${(before.rssBytes / MiB).toFixed(0)} → ${(after.rssBytes / MiB).toFixed(0)} MiB, fds ${before.fds} → ${after.fds}`,
    );
  }, 120_000);

  it('stops an output past MAX_FILE_SIZE before it enters the store (signed upload or local put), and keeps nothing of it', async () => {
    await cp.kill9();
    await cp.start({ RENDER_NODE_COMMAND: '', MAX_FILE_SIZE: '200kb' });
    const { taskId, fileId } = await render();
    const done = await followEditing(api, taskId, { timeoutMs: 90_000, intervalMs: 300 });
    expect(done.last.status).toBe('error');
    expect(done.last.error).toMatchObject({ type: 'upload_error' });
    expect(done.last.outputUrls).toEqual([]);
    const db = new pg.Client({ connectionString: cp.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query('select original_key from media where id = $1', [fileId]);
      const key: string | null = rows[0]?.original_key ?? null;
      if (key) await expect(fs.stat(path.join(cp.dataDir, 'objects', key))).rejects.toThrow();
    } finally {
      await db.end();
    }
    // No staging leftovers, and no file over the limit anywhere in the store but the source.
    const staging = await fs.readdir(path.join(cp.dataDir, 'objects', '.staging')).catch(() => []);
    expect(staging).toEqual([]);
  }, 120_000);
});
