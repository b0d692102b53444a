import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRow } from '../../control-plane/src/db/media-repository.js';
import { SIGNING_SECRET_FILE } from '../../control-plane/src/storage/signing-secret.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { signedInUser, type TestUser } from '../support/media-factory.js';

const storages = ['fs', 's3'] as const;

/** Real media made by ffmpeg, plus files the seeder must leave alone. */
async function makeTestMediaDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-test-media-'));
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: dir });
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=duration=1:size=160x120:rate=10', '-pix_fmt', 'yuv420p', 'Sample clip.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=64x48', '-frames:v', '1', 'still.png');
  ffmpeg('-f', 'lavfi', '-i', 'sine=duration=1', 'tone.mp3');
  await fs.writeFile(path.join(dir, 'notes.txt'), 'not media');
  await fs.writeFile(path.join(dir, '.hidden.mp4'), 'dotfile');
  return dir;
}

describe.each(storages)('shared test media (%s storage)', (storage) => {
  let server: TestServer;
  let s3: TestS3Server | undefined;
  let dir: string;
  let alice: TestUser;
  let bob: TestUser;
  const ingested: string[] = [];
  const mediaIngest = { requestIngest: async (row: MediaRow) => void ingested.push(row.name) };

  beforeAll(async () => {
    dir = await makeTestMediaDir();
    s3 = storage === 's3' ? await startS3Server() : undefined;
    server = await startTestServer('postgres', { ...(s3 ? s3.env('shared-media') : {}), TEST_MEDIA_DIR: dir }, { mediaIngest });
    alice = await signedInUser(server, 'alice');
    bob = await signedInUser(server, 'bob');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await bob?.editor.close();
    await server?.destroy();
    await s3?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  // The server's address changes on restart: clients are made afresh; tokens live in the database.
  const api = (user: TestUser) => server.api(user.token);
  const shared = async (user: TestUser) =>
    ((await api(user).get('/api/mediafiles?sort_field=name&sort_order=asc')).body.entries as Array<Record<string, any>>).filter((e) => e.type === 'test');

  it('shows every media file of TEST_MEDIA_DIR to every user, with its stored bytes', async () => {
    for (const user of [alice, bob]) {
      const entries = await shared(user);
      expect(entries.map((e) => [e.name, e.filetype, e.mediaType])).toEqual([
        ['Sample clip.mp4', 'mp4', 'video'],
        ['still.png', 'png', 'image'],
        ['tone.mp3', 'mp3', 'audio'],
      ]);
      for (const entry of entries) {
        const bytes = await fs.readFile(path.join(dir, entry.name));
        expect(entry.size).toBe(bytes.length);
        expect(entry.status).toBe('ready');
        const described = await api(user).get(`/api/mediafiles/${entry.id}`);
        expect(described.status).toBe(200);
        const served = await fetch(described.body.previewUrl);
        expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
      }
    }
    expect(ingested.sort()).toEqual(['Sample clip.mp4', 'still.png', 'tone.mp3']);
  });

  it('keeps them read-only for users (403), in deletes and in moves', async () => {
    const [clip] = await shared(alice);
    const refused = await api(alice).delete(`/api/mediafiles/${clip!.id}?force=1`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.type).toBe('forbidden');
    const folder = (await api(alice).post('/api/folders', { name: 'Mine' })).body.id;
    expect((await api(alice).put(`/api/folders/${folder}/entries`, { files: [clip!.id] })).status).toBe(403);
    expect((await api(bob).get(`/api/mediafiles/${clip!.id}`)).status).toBe(200);
    expect((await api(alice).get(`/api/mediafiles?folder=${folder}`)).body.total_count).toBe(0);
  });

  it('seeds idempotently across restarts, following files added, replaced and removed', async () => {
    const before = await shared(alice);
    const { storage: store } = server.controlPlane.services;
    const clipRow = (await server.controlPlane.services.media.find(before[0]!.id))!;
    const copiedAt = (await store.head(clipRow.original_key!))!.modifiedAt;
    ingested.length = 0;

    server = await server.restart();
    const again = await shared(alice);
    expect(again.map((e) => e.id)).toEqual(before.map((e) => e.id));
    expect(ingested).toEqual([]);
    expect((await server.controlPlane.services.storage.head(clipRow.original_key!))!.modifiedAt).toEqual(copiedAt);

    const stillRow = (await server.controlPlane.services.media.find(before[1]!.id))!;
    await fs.rm(path.join(dir, 'still.png'));
    await fs.writeFile(path.join(dir, 'tone.mp3'), Buffer.alloc(777, 1));
    await fs.copyFile(path.join(dir, 'Sample clip.mp4'), path.join(dir, 'Copy.mov'));
    server = await server.restart();
    const after = await shared(alice);
    expect(after.map((e) => [e.name, e.size])).toEqual([
      ['Copy.mov', (await fs.stat(path.join(dir, 'Copy.mov'))).size],
      ['Sample clip.mp4', before[0]!.size],
      ['tone.mp3', 777],
    ]);
    expect(after.find((e) => e.name === 'tone.mp3')!.id).toBe(before[2]!.id);
    expect(ingested.sort()).toEqual(['Copy.mov', 'tone.mp3']);
    expect(await server.controlPlane.services.storage.head(stillRow.original_key!)).toBeUndefined();
    const tone = await fetch((await api(alice).get(`/api/mediafiles/${before[2]!.id}`)).body.previewUrl);
    expect((await tone.arrayBuffer()).byteLength).toBe(777);
  });

  it.runIf(storage === 'fs')('keeps its generated signing secret private and across restarts', async () => {
    const secretFile = path.join(server.dataDir, SIGNING_SECRET_FILE);
    expect((await fs.stat(secretFile)).mode & 0o777).toBe(0o600);
    const [entry] = await shared(alice);
    const url = (await api(alice).get(`/api/mediafiles/${entry!.id}`)).body.previewUrl;
    server = await server.restart();
    const after = await fetch(url.replace(/:\d+\//, `:${new URL(server.url).port}/`));
    expect(after.status).toBe(200);
    await after.arrayBuffer();
  });
});
