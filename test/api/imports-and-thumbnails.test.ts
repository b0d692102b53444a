import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand, S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../support/server.js';
import { settledMedia, signedInUser, type TestUser } from '../support/media-factory.js';
import { makeMedia, smallMp4 } from '../support/media.js';
import { MediaServer } from '../support/media-server.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../support/s3-server.js';
import { upload } from '../support/uploader.js';

const png = (base64: string) => Buffer.from(base64, 'base64');
const exec = promisify(execFile);

/** The frame at `seconds` of a file, fitted in the thumbnail box, as PNG base64. */
async function referenceFrame(file: string, seconds: number): Promise<string> {
  const out = path.join(os.tmpdir(), `cutroom-ref-${process.pid}-${seconds}.png`);
  await exec('ffmpeg', [
    '-v',
    'error',
    '-i',
    file,
    '-vf',
    `select='gte(t,${seconds - 0.001})',scale=w=160:h=90:force_original_aspect_ratio=decrease:force_divisible_by=2`,
    '-frames:v',
    '1',
    '-y',
    out,
  ]);
  return (await fs.readFile(out)).toString('base64');
}

/** PSNR in dB between two PNGs of the same size. */
async function psnr(a: string, b: string): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutroom-psnr-'));
  await fs.writeFile(path.join(dir, 'a.png'), png(a));
  await fs.writeFile(path.join(dir, 'b.png'), png(b));
  const { stderr } = await exec('ffmpeg', ['-i', path.join(dir, 'a.png'), '-i', path.join(dir, 'b.png'), '-lavfi', 'psnr', '-f', 'null', '-']);
  await fs.rm(dir, { recursive: true, force: true });
  const value = /average:(inf|[\d.]+)/.exec(stderr)?.[1];
  return value === 'inf' ? 100 : Number(value);
}
const pngWidth = (base64: string) => png(base64).readUInt32BE(16);

describe('imports', () => {
  let server: TestServer;
  let media: MediaServer;
  let s3: TestS3Server;
  let alice: TestUser;
  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4(2));
    s3 = await startS3Server();
    server = await startTestServer('postgres', { ALLOW_PRIVATE_URLS: 'true', DISPATCH_INTERVAL_MS: '100' });
    alice = await signedInUser(server, 'alice');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
    await media?.close();
    await s3?.stop();
  });

  it('imports a file by URL: status import with progress, then ready', async () => {
    const answer = await alice.api.post('/api/import/media/url', { url: `${media.url}/file/clip.mp4` });
    expect(answer.status).toBe(200);
    const entry = (await alice.api.get(`/api/mediafiles/${answer.body.id}`)).body;
    expect(entry).toMatchObject({ name: 'clip.mp4', type: 'url', status: 'import' });
    const ready = await settledMedia(alice, answer.body.id);
    expect(ready).toMatchObject({ status: 'ready', error: null, mediaType: 'video', width: 320 });
    expect(ready.size).toBe((await fs.stat(await smallMp4(2))).size);
  });

  it('records a download that fails (404) on the entry', async () => {
    const answer = await alice.api.post('/api/import/media/url', { url: `${media.url}/file/nothing.mp4` });
    const entry = await settledMedia(alice, answer.body.id);
    expect(entry.status).toBe('import');
    expect(entry.error).toMatchObject({ type: 'not_found' });
  });

  it('imports every media object of a bucket into a folder named after it', async () => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: S3RVER_CREDENTIALS.accessKey, secretAccessKey: S3RVER_CREDENTIALS.secretKey },
    });
    const bucket = 'footage';
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'day1/a.mp4', Body: await fs.readFile(await smallMp4(2)) }));
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'b.mp3', Body: await fs.readFile(await makeMedia('b.mp3', ['-f', 'lavfi', '-i', 'sine=d=1'])) }),
    );
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'readme.txt', Body: 'not media' }));
    client.destroy();

    const answer = await alice.api.post('/api/import/media/awsbucket', {
      awsAccessKey: S3RVER_CREDENTIALS.accessKey,
      awsSecreteKey: S3RVER_CREDENTIALS.secretKey,
      awsBucketName: bucket,
      awsEndPoint: s3.endpoint,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.error).toBe('');
    const folder = (await alice.api.get('/api/mediafiles?filter=folder')).body.entries.find((e: { id: string }) => e.id === answer.body.id);
    expect(folder.name).toBe(bucket);
    const listed = (await alice.api.get(`/api/mediafiles?folder=${answer.body.id}&sort_field=name&sort_order=asc`)).body;
    expect(listed.entries.map((e: { name: string }) => e.name)).toEqual(['a.mp4', 'b.mp3']);
    const ready = await Promise.all(listed.entries.map((e: { id: string }) => settledMedia(alice, e.id)));
    expect(ready.map((e) => [e.mediaType, e.status, e.error])).toEqual([
      ['video', 'ready', null],
      ['audio', 'ready', null],
    ]);
  });

  it('answers a bucket it cannot list at once, in the editor API shape', async () => {
    const missing = await alice.api.post('/api/import/media/awsbucket', {
      awsAccessKey: S3RVER_CREDENTIALS.accessKey,
      awsSecreteKey: S3RVER_CREDENTIALS.secretKey,
      awsBucketName: 'no-such-bucket',
      awsEndPoint: s3.endpoint,
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ id: '' });
    expect(missing.body.error).toMatch(/no-such-bucket could not be listed: NoSuchBucket/);
    const badKeys = await alice.api.post('/api/import/media/awsbucket', {
      awsAccessKey: 'WRONG',
      awsSecreteKey: 'WRONG',
      awsBucketName: 'anything',
      awsEndPoint: s3.endpoint,
    });
    expect(badKeys.status).toBe(400);
    expect(badKeys.body.error).toMatch(/could not be listed/);
  });
});

describe('imports under the outbound rule', () => {
  let server: TestServer;
  let media: MediaServer;
  let alice: TestUser;
  beforeAll(async () => {
    media = await new MediaServer().start();
    media.add('clip.mp4', await smallMp4(2));
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100' });
    alice = await signedInUser(server, 'alice');
  });
  afterAll(async () => {
    await alice?.editor.close();
    await server?.destroy();
    await media?.close();
  });

  it('refuses loopback and metadata addresses at once, and a name resolving to loopback when connecting', async () => {
    const literal = await alice.api.post('/api/import/media/url', { url: `${media.url}/file/clip.mp4` });
    expect(literal.status).toBe(400);
    expect(literal.body.error.message).toMatch(/url: 127\.0\.0\.1 is a private, loopback or link-local address/);
    expect((await alice.api.post('/api/import/media/url', { url: 'http://169.254.169.254/latest/meta-data/x.mp4' })).status).toBe(400);
    expect((await alice.api.post('/api/import/media/url', { url: 'ftp://example.com/x.mp4' })).status).toBe(400);
    const byName = await alice.api.post('/api/import/media/url', { url: `http://localhost:${new URL(media.url).port}/file/clip.mp4` });
    expect(byName.status).toBe(200);
    const entry = await settledMedia(alice, byName.body.id);
    expect(entry.status).toBe('import');
    expect(entry.error.message).toMatch(/localhost resolves to/);
    expect(media.requests).toEqual([]);
  });

  it('refuses a bucket endpoint on a private address', async () => {
    const answer = await alice.api.post('/api/import/media/awsbucket', {
      awsAccessKey: 'a',
      awsSecreteKey: 'b',
      awsBucketName: 'bucket',
      awsEndPoint: 'http://10.0.0.5:9000',
    });
    expect(answer.status).toBe(400);
  });
});

describe('timeline thumbnails', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let videoId: string;
  beforeAll(async () => {
    server = await startTestServer('postgres', { DISPATCH_INTERVAL_MS: '100' });
    alice = await signedInUser(server, 'alice');
    bob = await signedInUser(server, 'bob');
    videoId = (await upload(alice.api, 'thumbs.mp4', await fs.readFile(await smallMp4(4)))).id;
    await settledMedia(alice, videoId);
  });
  afterAll(async () => {
    await alice?.editor.close();
    await bob?.editor.close();
    await server?.destroy();
  });

  it('answers prepared thumbnails, nearest frame, with the times asked echoed', async () => {
    const res = await alice.api.get(`/api/clip_thumbnails?id=${videoId}&start_time=0&step=5000000&count=8&cached=true`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('');
    const thumbs = res.body.thumbnails as Array<{ time: number; data: string }>;
    expect(thumbs.map((t) => t.time)).toEqual([0, 5e6, 1e7, 1.5e7, 2e7, 2.5e7, 3e7, 3.5e7]);
    expect(pngWidth(thumbs[0]!.data)).toBe(120);
    // 0.5 s rounds to the frame prepared at 1 s; 1 s is that frame too.
    expect(thumbs[1]!.data).toBe(thumbs[2]!.data);
    expect(thumbs[0]!.data).not.toBe(thumbs[2]!.data);
    const single = await alice.api.get(`/api/clip_thumbnail?id=${videoId}&time=10000000`);
    expect(single.body.data).toBe(thumbs[2]!.data);
  });

  it('lets a browser keep prepared thumbnails: a tag per strip, 304 when it still holds', async () => {
    const strip = `/api/clip_thumbnails?id=${videoId}&start_time=0&step=10000000&count=4&cached=true`;
    const first = await alice.api.get(strip);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect(first.headers.get('cache-control')).toBe('private, max-age=3600');
    // Read again (now from memory): the same answer, the same tag.
    const again = await alice.api.get(strip);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('etag')).toBe(etag);
    const notModified = await alice.api.get(strip, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    // Other times are another answer.
    const other = await alice.api.get(`/api/clip_thumbnails?id=${videoId}&start_time=10000000&step=10000000&count=4&cached=true`);
    expect(other.headers.get('etag')).not.toBe(etag);
    expect((await alice.api.get(strip.replace('cached=true', 'cached=false'), { headers: { 'if-none-match': etag } })).status).toBe(200);
    // Another user's tag gets them nothing.
    expect((await bob.api.get(strip, { headers: { 'if-none-match': etag } })).status).toBe(404);
  });

  it('extracts exact frames now when not cached', async () => {
    const res = await alice.api.get(`/api/clip_thumbnails?id=${videoId}&start_time=4000000&step=4000000&count=3&cached=false`);
    const thumbs = res.body.thumbnails as Array<{ time: number; data: string }>;
    expect(thumbs.map((t) => t.time)).toEqual([4e6, 8e6, 1.2e7]);
    expect(new Set(thumbs.map((t) => t.data)).size).toBe(3);
    for (const t of thumbs) expect(pngWidth(t.data)).toBe(120);
    // Each is the exact frame: against the frame at that time decoded from the source file, and
    // far from its neighbour one frame (40 ms) later.
    const source = await smallMp4(4);
    for (const t of thumbs) {
      expect(await psnr(t.data, await referenceFrame(source, t.time / 1e7))).toBeGreaterThan(30);
      expect(await psnr(t.data, await referenceFrame(source, t.time / 1e7 + 0.04))).toBeLessThan(
        await psnr(t.data, await referenceFrame(source, t.time / 1e7)),
      );
    }
    // Past the end: the last frame, not an error.
    const late = await alice.api.get(`/api/clip_thumbnails?id=${videoId}&start_time=900000000&count=1&cached=false`);
    expect(late.status).toBe(200);
    expect(png(late.body.thumbnails[0].data).subarray(1, 4).toString()).toBe('PNG');
  });

  it('keeps thumbnails to their owner and refuses bad parameters', async () => {
    expect((await bob.api.get(`/api/clip_thumbnails?id=${videoId}&count=1`)).status).toBe(404);
    expect((await alice.api.get(`/api/clip_thumbnails?id=${videoId}&count=1&cached=maybe`)).status).toBe(400);
    expect((await alice.api.get(`/api/clip_thumbnails?id=${videoId}&count=0`)).status).toBe(400);
  });
});
