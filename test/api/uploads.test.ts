import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { settledMedia, signedInUser, type TestUser } from '../support/media-factory.js';
import { makeMedia, smallMp4 } from '../support/media.js';
import { askState, chunks, dropMidChunk, putChunk, shuffled, upload } from '../support/uploader.js';
import { ffprobe } from '../../render-node/src/ffmpeg/index.js';
import { holdFor } from '../support/waiting.js';

const fastWork = { DISPATCH_INTERVAL_MS: '100', WORKERS: '2' };

describe('uploads and ingest', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    server = await startTestServer('postgres', fastWork);
    alice = await signedInUser(server, 'alice');
    bob = await signedInUser(server, 'bob');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await bob?.editor.close();
    await server?.destroy();
  });

  it('takes chunks out of order and repeated, reports the contiguous prefix, then ingests the file', async () => {
    const bytes = await fs.readFile(await smallMp4(3));
    const created = await alice.api.post('/api/upload/media', { size: bytes.length, name: 'holiday.mp4' });
    expect(created.status).toBe(200);
    const id = created.body.id;
    const entry = (await alice.api.get(`/api/mediafiles/${id}`)).body;
    expect(entry).toMatchObject({ id, name: 'holiday.mp4', type: 'uploaded', status: 'upload', progress: 0 });

    const plan = chunks(bytes.length, 16 * 1024);
    const order = shuffled(plan);
    order.splice(2, 0, order[0]!); // a repeat
    const last = order.pop()!;
    for (const chunk of order) {
      const answer = await putChunk(alice.api, id, bytes, chunk);
      expect(answer.status).toBe(206);
      const range = answer.headers.get('range');
      const received = answer.body.receivedBytes;
      // The Range header is exactly the contiguous prefix, however the chunks arrived.
      if (received === 0) expect(range).toBeNull();
      else expect(range).toBe(`bytes=0-${received - 1}`);
    }
    const query = await askState(alice.api, id, bytes.length);
    expect(query.status).toBe(206);
    // Every chunk but one is in: the prefix ends where the missing one starts.
    expect(query.body.receivedBytes).toBe(last.start);
    const done = await putChunk(alice.api, id, bytes, last);
    expect(done.status).toBe(200);
    expect(done.headers.get('range')).toBe(`bytes=0-${bytes.length - 1}`);

    const ready = await settledMedia(alice, id);
    expect(ready).toMatchObject({
      status: 'ready',
      progress: 100,
      error: null,
      filetype: 'mp4',
      mediaType: 'video',
      width: 320,
      height: 240,
      size: bytes.length,
    });
    expect(ready.duration).toBeGreaterThan(2.9e7);
    expect(ready.audioTracks).toEqual(['Track 1']);
    expect(Buffer.from(ready.thumbnail, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(ready.previewUrl).toBe(ready.originalUrl); // H.264/AAC plays as it is
    // The stored original is the uploaded file, byte for byte.
    const original = Buffer.from(await (await fetch(ready.originalUrl)).arrayBuffer());
    expect(original.equals(bytes)).toBe(true);
    expect((await alice.api.get(`/api/upload/media?id=${id}`)).body).toMatchObject({ complete: true, receivedBytes: bytes.length });
    // What ingest's probe said of the original is kept for renders, which then need not probe it.
    const kept = (await server.controlPlane.services.media.probeOf(id)) as { streams: Array<{ codec_type: string; width?: number }> };
    expect(kept.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 320 });
  });

  it('takes chunks in parallel', async () => {
    const bytes = await fs.readFile(await smallMp4(2));
    const { body } = await alice.api.post('/api/upload/media', { size: bytes.length, name: 'parallel.mp4' });
    const answers = await Promise.all(chunks(bytes.length, 8 * 1024).map((chunk) => putChunk(alice.api, body.id, bytes, chunk)));
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.status === 200 || a.status === 206)).toBe(true);
    expect((await settledMedia(alice, body.id)).status).toBe('ready');
  });

  it('keeps nothing of a chunk whose connection dropped, and resumes from the Range it reports', async () => {
    const bytes = await fs.readFile(await smallMp4(2));
    const { body } = await alice.api.post('/api/upload/media', { size: bytes.length, name: 'flaky.mp4' });
    const plan = chunks(bytes.length, Math.ceil(bytes.length / 3));
    await putChunk(alice.api, body.id, bytes, plan[0]!);
    await dropMidChunk(server.url, alice.token, body.id, bytes, plan[1]!);
    const state = await askState(alice.api, body.id, bytes.length);
    expect(state.headers.get('range')).toBe(`bytes=0-${plan[0]!.end}`);
    await putChunk(alice.api, body.id, bytes, plan[1]!);
    expect((await putChunk(alice.api, body.id, bytes, plan[2]!)).status).toBe(200);
    const ready = await settledMedia(alice, body.id);
    expect(ready.status).toBe('ready');
    expect(Buffer.from(await (await fetch(ready.originalUrl)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('makes a browser-playable proxy of what browsers cannot play', async () => {
    const file = await makeMedia('prores.mov', [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=25:d=2',
      '-f',
      'lavfi',
      '-i',
      'sine=d=2',
      '-c:v',
      'prores_ks',
      '-c:a',
      'pcm_s16le',
      '-shortest',
    ]);
    const { id, last } = await upload(alice.api, 'master.mov', await fs.readFile(file));
    expect(last.status).toBe(200);
    const ready = await settledMedia(alice, id);
    expect(ready).toMatchObject({ status: 'ready', filetype: 'mov', mediaType: 'video', error: null });
    expect(ready.previewUrl).not.toBe(ready.originalUrl);
    const probe = await ffprobe(ready.previewUrl);
    expect(probe.streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');
    expect(probe.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');
  });

  it('ingests images and audio', async () => {
    const png = await makeMedia('still.png', ['-f', 'lavfi', '-i', 'testsrc2=s=640x360', '-frames:v', '1']);
    const image = await settledMedia(alice, (await upload(alice.api, 'still.png', await fs.readFile(png))).id);
    expect(image).toMatchObject({ status: 'ready', mediaType: 'image', filetype: 'png', width: 640, height: 360, duration: 0 });
    const mp3 = await makeMedia('tone.mp3', ['-f', 'lavfi', '-i', 'sine=d=2']);
    const audio = await settledMedia(alice, (await upload(alice.api, 'tone.mp3', await fs.readFile(mp3))).id);
    expect(audio).toMatchObject({ status: 'ready', mediaType: 'audio', filetype: 'mp3' });
    expect(audio.thumbnail).toBeTruthy();
  });

  it('ends a file that is not media with unsupported_media, failed and never ready', async () => {
    const text = Buffer.from('not a video\n'.repeat(500));
    const { id } = await upload(alice.api, 'notes.mp4', text);
    const entry = await settledMedia(alice, id);
    expect(entry.error).toMatchObject({ type: 'unsupported_media' });
    // The stage it failed in: the upload was never accepted as media.
    expect(entry.status).toBe('upload');
    await holdFor(300); // and it stays so
    expect((await alice.api.get(`/api/mediafile/status?id=${id}`)).body).toMatchObject({ status: 'upload', error: { type: 'unsupported_media' } });
  });

  it('ingests an interlaced H.264 MPEG-TS with MP2 sound to ready, with its poster and no error', async () => {
    const file = await makeMedia('interlaced-mp2.ts', [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '4',
      '-vf',
      'tinterlace=interleave_top',
      '-c:v',
      'libx264',
      '-flags',
      '+ildct+ilme',
      '-c:a',
      'mp2',
      '-f',
      'mpegts',
    ]);
    const { id } = await upload(alice.api, 'broadcast.ts', await fs.readFile(file));
    const entry = await settledMedia(alice, id);
    expect(entry).toMatchObject({ status: 'ready', error: null, filetype: 'ts', mediaType: 'video', width: 320, height: 240 });
    expect(Buffer.from(entry.thumbnail, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(entry.previewUrl).not.toBe(entry.originalUrl);
  });

  it('refuses bad sessions and chunks', async () => {
    expect((await alice.api.post('/api/upload/media', { size: 10, name: 'notes.txt' })).status).toBe(514);
    expect((await alice.api.post('/api/upload/media', { size: -1, name: 'a.mp4' })).status).toBe(400);
    const { body } = await alice.api.post('/api/upload/media', { size: 100, name: 'x.mp4' });
    const bytes = Buffer.alloc(100, 1);
    const wrongTotal = await alice.api.request('PUT', `/api/upload/media?id=${body.id}`, {
      raw: bytes.subarray(0, 10),
      headers: { 'content-range': 'bytes 0-9/200' },
    });
    expect(wrongTotal.status).toBe(400);
    expect(wrongTotal.body.error.message).toMatch(/200 bytes; the session was created for 100/);
    const garbled = await alice.api.request('PUT', `/api/upload/media?id=${body.id}`, { raw: bytes, headers: { 'content-range': 'bytes 5-2/100' } });
    expect(garbled.status).toBe(400);
    const short = await alice.api.request('PUT', `/api/upload/media?id=${body.id}`, {
      raw: bytes.subarray(0, 10),
      headers: { 'content-range': 'bytes 0-19/100' },
    });
    expect(short.status).toBe(400);
    expect((await askState(alice.api, body.id, 100)).body.receivedBytes).toBe(0);
    // Another user's session is not there for them.
    expect((await putChunk(bob.api, body.id, bytes, { start: 0, end: 9 })).status).toBe(404);
    expect((await bob.api.get(`/api/upload/media?id=${body.id}`)).status).toBe(404);
  });

  it('counts uploads in progress in /api/stat', async () => {
    const { body } = await alice.api.post('/api/upload/media', { size: 100, name: 'pending.mp4' });
    const stat = (await server.api().get('/api/stat')).body;
    expect(stat.activeImportFromLocalDriveCount).toBeGreaterThanOrEqual(1);
    await putChunk(alice.api, body.id, Buffer.alloc(100), { start: 0, end: 99 });
  });
});

describe('upload sessions over time and across replicas', () => {
  it('removes a session that outlived its lifetime, with its bytes and its entry', async () => {
    const server = await startTestServer('postgres', { UPLOAD_SESSION_TTL_S: '1', UPLOAD_SWEEP_INTERVAL_MS: '200' });
    const user = await signedInUser(server);
    try {
      const { body } = await user.api.post('/api/upload/media', { size: 1000, name: 'abandoned.mp4' });
      await putChunk(user.api, body.id, Buffer.alloc(1000, 7), { start: 0, end: 499 });
      const prefix = `media/${user.id}/${body.id}/`;
      const stored = async () => {
        let n = 0;
        for await (const _ of server.controlPlane.services.storage.list(prefix)) n++;
        return n;
      };
      expect(await stored()).toBe(1);
      // The sweep removes it once the lifetime has passed.
      await vi.waitFor(
        async () => {
          expect((await user.api.get(`/api/upload/media?id=${body.id}`)).status).toBe(404);
          expect((await user.api.get(`/api/mediafiles/${body.id}`)).status).toBe(404);
          expect(await stored()).toBe(0);
        },
        { timeout: 15_000, interval: 100 },
      );
    } finally {
      await user.editor.close();
      await server.destroy();
    }
  });

  it('assembles a file whose chunks went to two replicas, and ingests it once', async () => {
    const first = await startTestServer('postgres', fastWork);
    const second = await first.replica();
    const user = await signedInUser(first);
    try {
      const bytes = await fs.readFile(await smallMp4(2));
      const { body } = await user.api.post('/api/upload/media', { size: bytes.length, name: 'split.mp4' });
      const plan = chunks(bytes.length, 8 * 1024);
      const viaSecond = second.api(user.token);
      await Promise.all(plan.map((chunk, i) => putChunk(i % 2 ? viaSecond : user.api, body.id, bytes, chunk)));
      const ready = await settledMedia(user, body.id);
      expect(ready.status).toBe('ready');
      const tasks = await first.controlPlane.database.db.selectFrom('tasks').select(['kind']).where('owner_id', '=', user.id).execute();
      expect(tasks.map((t) => t.kind)).toEqual(['ingest']);
    } finally {
      await user.editor.close();
      await second.stop();
      await first.destroy();
    }
  });
});
