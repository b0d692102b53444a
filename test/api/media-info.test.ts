import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../support/server.js';
import { MediaServer } from '../support/media-server.js';
import { smallMp4 } from '../support/media.js';

function finished(server: TestServer, apiKey: string, id: string) {
  return vi.waitFor(
    async () => {
      const res = await server.api(apiKey).get(`/api/task/mediainfo/${id}`);
      if (res.status === 202) {
        expect(res.body).toMatchObject({ status: 'running' });
        throw new Error(`media info task ${id} still running`);
      }
      return res;
    },
    { timeout: 30_000, interval: 100 },
  );
}

describe('media info tasks for integrators', () => {
  let server: TestServer;
  let media: MediaServer;
  let apiKey: string;
  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4(3));
    const notes = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-')), 'notes.mp4');
    await fs.writeFile(notes, 'not a video at all\n'.repeat(100));
    media.add('notes.mp4', notes);
    server = await startTestServer('postgres', { ALLOW_PRIVATE_URLS: 'true', DISPATCH_INTERVAL_MS: '100' });
    apiKey = (await server.api('test-admin-token').post('/api/developers', { name: 'Catalogue' })).body.apiKey;
  });
  afterAll(async () => {
    await server?.destroy();
    await media?.close();
  });

  it('answers 202 while working, then the info and a thumbnail per second', async () => {
    const created = await server.api(apiKey).post('/api/task/mediainfo', {
      originalUrl: `${media.url}/file/clip.mp4`,
      previewUrl: 'https://cdn.example/clip-preview.mp4',
    });
    expect(created.status).toBe(200);
    const res = await finished(server, apiKey, created.body.id);
    expect(res.status).toBe(200);
    expect(res.body.info).toMatchObject({
      name: 'clip.mp4',
      filetype: 'mp4',
      mediaType: 'video',
      width: 320,
      height: 240,
      previewUrl: 'https://cdn.example/clip-preview.mp4',
      audioTracks: ['Track 1'],
    });
    expect(res.body.info.duration).toBeGreaterThan(2.9e7);
    expect(res.body.info.size).toBe((await fs.stat(await smallMp4(3))).size);
    expect(res.body.thumbnails.map((t: { time: number }) => t.time)).toEqual([0, 1e7, 2e7]);
    expect(Buffer.from(res.body.thumbnails[1].data, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('answers 422 with the reason when the URL is not media', async () => {
    const created = await server.api(apiKey).post('/api/task/mediainfo', { originalUrl: `${media.url}/file/notes.mp4` });
    const res = await finished(server, apiKey, created.body.id);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ type: 'engine_error', code: 'unsupported_media' });
  });

  it("needs a developer's apiKey and keeps tasks to their developer", async () => {
    expect((await server.api().post('/api/task/mediainfo', { originalUrl: 'https://x.example/a.mp4' })).status).toBe(401);
    const other = (await server.api('test-admin-token').post('/api/developers', { name: 'Other' })).body.apiKey;
    const created = await server.api(apiKey).post('/api/task/mediainfo', { originalUrl: `${media.url}/file/clip.mp4` });
    expect((await server.api(other).get(`/api/task/mediainfo/${created.body.id}`)).status).toBe(404);
    expect((await server.api(apiKey).post('/api/task/mediainfo', { originalUrl: 'file:///etc/passwd' })).status).toBe(400);
  });
});

describe('media info and the outbound rule', () => {
  let server: TestServer;
  let apiKey: string;
  let media: MediaServer;
  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4());
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100' });
    apiKey = (await server.api('test-admin-token').post('/api/developers', { name: 'Catalogue' })).body.apiKey;
  });
  afterAll(async () => {
    await server?.destroy();
    await media?.close();
  });

  it('refuses loopback and metadata addresses at once, and names resolving to them when fetching', async () => {
    const literal = await server.api(apiKey).post('/api/task/mediainfo', { originalUrl: `${media.url}/file/clip.mp4` });
    expect(literal.status).toBe(400);
    expect(literal.body.error.message).toMatch(/originalUrl: 127\.0\.0\.1 is a private, loopback or link-local address/);
    const metadata = await server.api(apiKey).post('/api/task/mediainfo', { originalUrl: 'http://169.254.169.254/latest/' });
    expect(metadata.status).toBe(400);

    const byName = await server.api(apiKey).post('/api/task/mediainfo', {
      originalUrl: `http://localhost:${new URL(media.url).port}/file/clip.mp4`,
    });
    expect(byName.status).toBe(200);
    const res = await finished(server, apiKey, byName.body.id);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ type: 'download_error' });
    expect(res.body.error.message).toMatch(/localhost resolves to/);
    expect(media.requests).toEqual([]);
  });
});

describe('cutroom mediainfo (local)', () => {
  it('prints the same JSON for a local file', async () => {
    const { stdout } = await promisify(execFile)('node', [path.resolve('control-plane/dist/cli.js'), 'mediainfo', await smallMp4(2)], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    const answer = JSON.parse(stdout);
    expect(answer.info).toMatchObject({ filetype: 'mp4', mediaType: 'video', width: 320 });
    expect(answer.thumbnails).toHaveLength(2);
  });
});
