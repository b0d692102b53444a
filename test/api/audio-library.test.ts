import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { settledMedia, signedInUser, storedMedia, type TestUser } from '../support/media-factory.js';
import { clip, downloadUrl, followEditing, probeOutput, xtl } from '../support/editing.js';
import type { ApiClient } from '../support/api-client.js';

const run = promisify(execFile);

/** A short tone made by ffmpeg: each file of the library is real audio. */
async function tone(file: string, frequency: number, durationS: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=${durationS}`, file]);
}

interface Listed {
  name: string;
  relativePath: string;
  category?: string;
  mood?: string;
  type?: 'music' | 'sound';
}

/** The list as an operator writes it, in the editor API's form (trailing commas included). */
function listText(entries: Array<Listed | Record<string, unknown>>): string {
  return `{\n"entries": [\n${entries.map((entry) => `${JSON.stringify(entry)},`).join('\n')}\n]\n}\n`;
}

const initialList: Array<Listed | Record<string, unknown>> = [
  { name: 'Bubble_G_Funk.mp3', relativePath: 'music/Bubble_G_Funk.mp3', category: 'Electro', mood: 'Happy', type: 'music' },
  { name: 'calm piano.m4a', relativePath: 'music/calm piano.m4a', category: 'Ambient', mood: 'Calm', type: 'music' },
  { name: 'Zebra beat.wav', relativePath: 'music/Zebra beat.wav', category: 'Electro', mood: 'Calm' },
  { name: 'cats.mp3', relativePath: 'sounds/cats.mp3', category: 'animals', type: 'sound' },
  { name: 'door.mp3', relativePath: 'sounds/door.mp3', category: 'household', type: 'sound' },
  { name: 'secret.mp3', relativePath: '../outside/secret.mp3', category: 'Electro', type: 'music' },
  { name: 'escape.mp3', relativePath: 'escape.mp3', category: 'Electro', type: 'music' },
  { name: 'missing.mp3', relativePath: 'music/missing.mp3', category: 'Electro', type: 'music' },
  { name: 'no path at all' },
];

const fastWork = { DISPATCH_INTERVAL_MS: '100', WORKERS: '2', TASK_HEARTBEAT_INTERVAL_S: '1', TASK_HEARTBEAT_TIMEOUT_S: '20' };

describe('the audio library', () => {
  let base: string;
  let files: string;
  let listPath: string;
  let server: TestServer;
  let admin: ApiClient;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-audiolib-')));
    files = path.join(base, 'files');
    listPath = path.join(base, 'audioLib.json');
    await Promise.all([
      tone(path.join(files, 'music', 'Bubble_G_Funk.mp3'), 440, 1),
      tone(path.join(files, 'music', 'calm piano.m4a'), 330, 1),
      tone(path.join(files, 'music', 'Zebra beat.wav'), 550, 1),
      tone(path.join(files, 'sounds', 'cats.mp3'), 880, 1),
      tone(path.join(files, 'sounds', 'door.mp3'), 220, 1),
      tone(path.join(base, 'outside', 'secret.mp3'), 990, 1),
    ]);
    await fs.symlink('../outside/secret.mp3', path.join(files, 'escape.mp3'));
    await fs.writeFile(listPath, listText(initialList));
    server = await startTestServer('postgres', { ...fastWork, AUDIOLIB_JSON_LIST: listPath, AUDIOLIB_FILES_DIR: files });
    admin = server.api('test-admin-token');
    alice = await signedInUser(server, 'alice');
    bob = await signedInUser(server, 'bob');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await bob?.editor.close();
    await server?.destroy();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  /** Starts an import and follows it to its end; answers the last status. */
  async function importLibrary(): Promise<any> {
    const started = await admin.post('/api/import/audiolib_json', {});
    expect(started.status).toBe(200);
    expect(started.body).toEqual({});
    return vi.waitFor(
      async () => {
        const status = (await admin.get('/api/import/audiolib_json')).body;
        expect(status.state, JSON.stringify(status)).not.toBe('running');
        return status;
      },
      { timeout: 60_000, interval: 50 },
    );
  }

  const list = async (user: TestUser, query = '') => {
    const res = await user.api.get(`/api/audiolib_files${query}`);
    expect(res.status, res.text).toBe(200);
    return res.body as { total_count: number; entries: Array<Record<string, any>> };
  };
  const names = async (user: TestUser, query = '') => (await list(user, query)).entries.map((e) => e.name);
  const ingestTasks = async () =>
    Number(
      (
        await server.controlPlane.database.db
          .selectFrom('tasks')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('kind', '=', 'ingest')
          .executeTakeFirstOrThrow()
      ).n,
    );
  const originalKey = async (id: string) => (await server.controlPlane.services.media.find(id))!.original_key!;

  it('is an operator action: the import needs ADMIN_TOKEN, and answers an empty status before the first run', async () => {
    expect((await alice.api.post('/api/import/audiolib_json', {})).status).toBe(401);
    expect((await server.api().get('/api/import/audiolib_json')).status).toBe(401);
    expect((await admin.get('/api/import/audiolib_json')).body).toEqual({ processedCount: 0, totalCount: 0, error: '', state: 'idle' });
    expect(await list(alice)).toEqual({ total_count: 0, entries: [] });
  });

  it('imports every listed file, refusing paths and symlinks out of the folder and skipping missing files', async () => {
    const status = await importLibrary();
    expect(status).toMatchObject({ state: 'done', totalCount: initialList.length, processedCount: initialList.length });
    expect(status.error.split('; ').sort()).toEqual(
      [
        '../outside/secret.mp3: refused: the path leaves the library folder',
        'escape.mp3: refused: a symlink on the path leads out of the library folder',
        'music/missing.mp3: skipped: the file is missing',
        expect.stringMatching(/^entry 9: refused: not a valid entry \(relativePath: /),
      ].sort(),
    );
    expect(await names(alice)).toEqual(['Bubble_G_Funk.mp3', 'calm piano.m4a', 'Zebra beat.wav']);
    expect(await names(bob, '?type=sound')).toEqual(['cats.mp3', 'door.mp3']);
    // Nothing was made of the refused and missing entries: five files, all listed.
    const rows = await server.controlPlane.database.db.selectFrom('media').select(['name', 'type', 'owner_id']).where('type', '=', 'audiolib').execute();
    expect(rows.map((r) => r.name).sort()).toEqual(['Bubble_G_Funk.mp3', 'Zebra beat.wav', 'calm piano.m4a', 'cats.mp3', 'door.mp3']);
    expect(rows.every((r) => r.owner_id === null)).toBe(true);
  });

  it('ingests each file like an upload: probed, playable, with a waveform thumbnail', async () => {
    const all = [...(await list(alice)).entries, ...(await list(alice, '?type=sound')).entries];
    for (const listed of all) {
      const entry = await settledMedia(alice, listed.id);
      expect(entry, entry.name).toMatchObject({ status: 'ready', progress: 100, error: null, mediaType: 'audio', width: 0, height: 0 });
      expect(Math.abs(entry.duration - 1e7), entry.name).toBeLessThan(0.1e7);
      const png = Buffer.from(entry.thumbnail, 'base64');
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16), 'a waveform, twice the thumbnail box wide').toBe(320);
      const relative = (initialList.find((l) => l.name === entry.name) as Listed).relativePath;
      const original = await fetch(entry.originalUrl);
      expect(Buffer.from(await original.arrayBuffer()).equals(await fs.readFile(path.join(files, relative))), entry.name).toBe(true);
      const preview = await fetch(entry.previewUrl, { headers: { range: 'bytes=0-99' } });
      expect(preview.status).toBe(206);
      await preview.arrayBuffer();
    }
  }, 180_000);

  it('lists by type, category, mood and search, sorted and paged', async () => {
    const categories = (await alice.api.get('/api/audiolib_files/categories')).body.entries;
    expect(categories.map((c: any) => [c.name, c.entriesCount])).toEqual([
      ['Ambient', 1],
      ['Electro', 2],
    ]);
    const soundCategories = (await alice.api.get('/api/audiolib_files/categories?type=sound')).body;
    expect(soundCategories.entries.map((c: any) => [c.name, c.entriesCount])).toEqual([
      ['animals', 1],
      ['household', 1],
    ]);
    const moods = (await bob.api.get('/api/audiolib_files/moods?type=music')).body.entries;
    expect(moods.map((m: any) => [m.name, m.entriesCount])).toEqual([
      ['Calm', 2],
      ['Happy', 1],
    ]);
    expect((await bob.api.get('/api/audiolib_files/moods?type=sound')).body).toEqual({ entries: [] });

    const electro = categories.find((c: any) => c.name === 'Electro').id;
    const calm = moods.find((m: any) => m.name === 'Calm').id;
    expect(await names(alice, `?category_id=${electro}`)).toEqual(['Bubble_G_Funk.mp3', 'Zebra beat.wav']);
    expect(await names(alice, `?mood_id=${calm}`)).toEqual(['calm piano.m4a', 'Zebra beat.wav']);
    expect(await names(alice, `?category_id=${electro}&mood_id=${calm}`)).toEqual(['Zebra beat.wav']);
    expect(await names(alice, `?type=sound&category_id=${electro}`)).toEqual([]);
    expect(await names(alice, '?search=BEAT')).toEqual(['Zebra beat.wav']);
    expect(await names(alice, '?search=_')).toEqual(['Bubble_G_Funk.mp3']);
    expect(await names(alice, '?sort_order=desc')).toEqual(['Zebra beat.wav', 'calm piano.m4a', 'Bubble_G_Funk.mp3']);

    const byTime = (await list(alice, '?sort_field=createTime')).entries;
    const expected = [...byTime].sort((a, b) => a.createTime - b.createTime || (a.id < b.id ? -1 : 1));
    expect(byTime.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect((await list(alice, '?sort_field=createTime&sort_order=desc')).entries.map((e) => e.id)).toEqual(expected.map((e) => e.id).reverse());

    const first = await list(alice, '?count=2');
    const second = await list(alice, '?count=2&start_number=2');
    expect([first.total_count, second.total_count]).toEqual([3, 3]);
    expect([...first.entries, ...second.entries].map((e) => e.name)).toEqual(['Bubble_G_Funk.mp3', 'calm piano.m4a', 'Zebra beat.wav']);
    expect((await list(alice, '?start_number=10')).entries).toEqual([]);

    // Entries carry their category and mood ids ("" when they have none).
    const zebra = (await list(alice, '?search=zebra')).entries[0]!;
    expect([zebra.categoryId, zebra.moodId]).toEqual([electro, calm]);
    const door = (await list(alice, '?type=sound&search=door')).entries[0]!;
    expect(door.moodId).toBe('');
    expect(door.categoryId).toBe(soundCategories.entries.find((c: any) => c.name === 'household').id);

    for (const bad of ['?type=noise', '?sort_field=size', '?sort_order=up', '?count=-1']) {
      const res = await alice.api.get(`/api/audiolib_files${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.type).toBe('bad_request');
    }
    expect((await alice.api.get('/api/audiolib_files/categories?type=noise')).status).toBe(400);
    expect((await server.api().get('/api/audiolib_files')).status).toBe(401);
  });

  it("answers one file for every user, like a media file, and keeps it out of users' own libraries and hands", async () => {
    const zebra = (await list(alice, '?search=zebra')).entries[0]!;
    const described = await bob.api.get(`/api/audiolib_files/${zebra.id}`);
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ id: zebra.id, name: 'Zebra beat.wav', categoryId: zebra.categoryId, moodId: zebra.moodId });
    expect((await bob.api.get(`/api/mediafiles/${zebra.id}`)).body).toMatchObject({ id: zebra.id, type: 'audiolib' });

    const own = await storedMedia(server, alice.id, { mediaType: 'audio', name: 'my voice.mp3' });
    expect((await alice.api.get(`/api/audiolib_files/${own.id}`)).status).toBe(404);
    expect((await alice.api.get('/api/audiolib_files/no-such-id')).status).toBe(404);
    const root = (await alice.api.get('/api/mediafiles')).body;
    expect(root.entries.map((e: any) => e.name)).toEqual(['my voice.mp3']);

    const refused = await alice.api.delete(`/api/mediafiles/${zebra.id}?force=1`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ type: 'forbidden', message: 'audio library files are read-only' });
    const folder = (await alice.api.post('/api/folders', { name: 'Mine' })).body.id;
    expect((await alice.api.put(`/api/folders/${folder}/entries`, { files: [zebra.id] })).status).toBe(403);
    expect((await bob.api.get(`/api/audiolib_files/${zebra.id}`)).status).toBe(200);
  });

  it('renders a library file in an editing task', async () => {
    const cats = (await list(alice, '?type=sound&search=cats')).entries[0]!;
    const submitted = await alice.api.post('/api/task/editing', {
      xtl_task: xtl(`<group output="meow.m4a"><track video="0">${clip(cats.id, '00:00:00:20', '00:00:00:80')}</track></group>`),
    });
    expect(submitted.status, submitted.text).toBe(200);
    const followed = await followEditing(alice.api, submitted.body.taskId, { timeoutMs: 120_000 });
    expect(followed.last.status, JSON.stringify(followed.last.error)).toBe('completed');
    const output = await probeOutput(await downloadUrl(followed.last.outputUrls[0]!, 'meow.m4a'));
    expect(output.hasAudio).toBe(true);
    expect(output.frames).toBe(0);
    expect(Math.abs(output.durationS - 0.6)).toBeLessThan(0.1);
  }, 180_000);

  it('runs again without changing anything when nothing changed', async () => {
    const before = [...(await list(alice)).entries, ...(await list(alice, '?type=sound')).entries];
    const copiedAt = await Promise.all(before.map(async (e) => (await server.controlPlane.services.storage.head(await originalKey(e.id)))!.modifiedAt));
    const tasks = await ingestTasks();
    const first = (await admin.get('/api/import/audiolib_json')).body;

    const again = await importLibrary();
    expect(again).toEqual(first);
    const after = [...(await list(alice)).entries, ...(await list(alice, '?type=sound')).entries];
    expect(after.map((e) => [e.id, e.name, e.status, e.categoryId, e.moodId, e.duration])).toEqual(
      before.map((e) => [e.id, e.name, e.status, e.categoryId, e.moodId, e.duration]),
    );
    expect(await ingestTasks()).toBe(tasks);
    for (const [index, entry] of after.entries()) {
      expect((await server.controlPlane.services.storage.head(await originalKey(entry.id)))!.modifiedAt).toEqual(copiedAt[index]);
    }
  });

  it('follows a changed list: adds, re-ingests changed bytes, updates names and tags, removes what left it', async () => {
    const music = (await list(alice)).entries;
    const sounds = (await list(alice, '?type=sound')).entries;
    const byName = (name: string) => [...music, ...sounds].find((e) => e.name === name)!;
    const doorKey = await originalKey(byName('door.mp3').id);
    const bubbleKey = await originalKey(byName('Bubble_G_Funk.mp3').id);
    const bubbleCopiedAt = (await server.controlPlane.services.storage.head(bubbleKey))!.modifiedAt;

    await tone(path.join(files, 'music', 'calm piano.m4a'), 330, 2);
    await tone(path.join(files, 'new', 'wind.mp3'), 120, 1);
    await fs.rm(path.join(files, 'music', 'Zebra beat.wav'));
    await fs.writeFile(
      listPath,
      listText([
        initialList[0]!,
        initialList[1]!,
        initialList[2]!,
        { name: 'Meowing cats', relativePath: 'sounds/cats.mp3', category: 'pets', mood: 'Funny', type: 'sound' },
        { name: 'wind.mp3', relativePath: 'new/wind.mp3', category: 'nature', type: 'sound' },
      ]),
    );
    const status = await importLibrary();
    expect(status).toEqual({ state: 'done', totalCount: 5, processedCount: 5, error: 'music/Zebra beat.wav: skipped: the file is missing' });

    // Missing from the folder but still listed: kept as it was.
    expect(await names(alice)).toEqual(['Bubble_G_Funk.mp3', 'calm piano.m4a', 'Zebra beat.wav']);
    const piano = await settledMedia(alice, byName('calm piano.m4a').id);
    expect(Math.abs(piano.duration - 2e7)).toBeLessThan(0.1e7);
    expect((await server.controlPlane.services.storage.head(bubbleKey))!.modifiedAt).toEqual(bubbleCopiedAt);

    const newSounds = (await list(alice, '?type=sound')).entries;
    expect(newSounds.map((e) => e.name)).toEqual(['Meowing cats', 'wind.mp3']);
    expect(newSounds[0]!.id).toBe(byName('cats.mp3').id);
    expect((await settledMedia(alice, newSounds[1]!.id)).status).toBe('ready');
    expect((await alice.api.get(`/api/audiolib_files/${byName('door.mp3').id}`)).status).toBe(404);
    expect(await server.controlPlane.services.storage.head(doorKey)).toBeUndefined();

    const soundCategories = (await alice.api.get('/api/audiolib_files/categories?type=sound')).body.entries;
    expect(soundCategories.map((c: any) => [c.name, c.entriesCount])).toEqual([
      ['nature', 1],
      ['pets', 1],
    ]);
    expect(newSounds[0]!.categoryId).toBe(soundCategories.find((c: any) => c.name === 'pets').id);
    const soundMoods = (await alice.api.get('/api/audiolib_files/moods?type=sound')).body.entries;
    expect(soundMoods.map((m: any) => [m.name, m.entriesCount])).toEqual([['Funny', 1]]);
  }, 180_000);

  it('leaves the library as it is when the list cannot be read', async () => {
    const ids = async () => [...(await list(alice)).entries, ...(await list(alice, '?type=sound')).entries].map((e) => e.id);
    const before = await ids();
    await fs.writeFile(listPath, '{"entries": [');
    const status = await importLibrary();
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(/^AUDIOLIB_JSON_LIST \(.*audioLib\.json\): the list is not JSON/);
    expect(await ids()).toEqual(before);
  });
});
