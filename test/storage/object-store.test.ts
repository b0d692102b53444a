import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectNotFound, type ObjectStore } from '../../control-plane/src/storage/object-store.js';
import { FsObjectStore } from '../../control-plane/src/storage/fs-object-store.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';

/** The same contract, against both drivers as the control plane opens them from its configuration. */
describe.each(['fs', 's3'] as const)('object store (%s driver)', (driver) => {
  let server: TestServer;
  let s3: TestS3Server | undefined;
  let store: ObjectStore;
  beforeAll(async () => {
    s3 = driver === 's3' ? await startS3Server() : undefined;
    server = await startTestServer('postgres', s3 ? s3.env('contract-bucket') : {});
    store = server.controlPlane.services.storage;
    expect(store.driver).toBe(driver);
  });
  afterAll(async () => {
    await server?.destroy();
    await s3?.stop();
  });

  const read = async (body: Readable) => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('stores a buffer and reads it whole, by range, and its size and type', async () => {
    const bytes = Buffer.from('0123456789abcdef');
    const info = await store.put('contract/a/clip.mp4', bytes);
    expect(info.sizeBytes).toBe(16);
    const whole = await store.get('contract/a/clip.mp4');
    expect((await read(whole.body)).toString()).toBe('0123456789abcdef');
    expect(whole.info.sizeBytes).toBe(16);
    const slice = await store.get('contract/a/clip.mp4', { start: 10, end: 12 });
    expect((await read(slice.body)).toString()).toBe('abc');
    expect(slice.info.sizeBytes).toBe(16);
    const head = await store.head('contract/a/clip.mp4');
    expect(head).toMatchObject({ key: 'contract/a/clip.mp4', sizeBytes: 16, contentType: 'video/mp4' });
    expect(head?.modifiedAt).toBeInstanceOf(Date);
  });

  it('streams an object of unknown length larger than one upload part, byte for byte', async () => {
    const bytes = randomBytes(11 * 2 ** 20 + 12345);
    const chunks = function* () {
      for (let i = 0; i < bytes.length; i += 64 * 1024) yield bytes.subarray(i, i + 64 * 1024);
    };
    const info = await store.put('contract/big/original.mov', Readable.from(chunks()));
    expect(info.sizeBytes).toBe(bytes.length);
    const back = await read((await store.get('contract/big/original.mov')).body);
    expect(sha(back)).toBe(sha(bytes));
  });

  it('never publishes a failed write and keeps the previous version', async () => {
    await store.put('contract/atomic/object.bin', Buffer.from('first version'));
    let sent = 0;
    const failing = new Readable({
      read() {
        sent += 1;
        if (sent <= 3) this.push(randomBytes(3 * 2 ** 20));
        else this.destroy(new Error('connection dropped'));
      },
    });
    await expect(store.put('contract/atomic/object.bin', failing)).rejects.toThrow('connection dropped');
    expect((await read((await store.get('contract/atomic/object.bin')).body)).toString()).toBe('first version');

    await expect(store.put('contract/atomic/short.bin', Buffer.from('abc'), { sizeBytes: 4 })).rejects.toThrow(/expected 4 bytes/);
    await expect(store.put('contract/atomic/short-stream.bin', Readable.from([Buffer.from('abc')]), { sizeBytes: 4 })).rejects.toThrow(/expected 4 bytes/);
    expect(await store.head('contract/atomic/short.bin')).toBeUndefined();
    expect(await store.head('contract/atomic/short-stream.bin')).toBeUndefined();
  });

  it('answers missing objects plainly', async () => {
    await expect(store.get('contract/missing.bin')).rejects.toBeInstanceOf(ObjectNotFound);
    expect(await store.head('contract/missing.bin')).toBeUndefined();
    await store.delete('contract/missing.bin');
  });

  it('lists in key order under a prefix and deletes by prefix, nothing else', async () => {
    for (const key of ['pfx/m1/proxy.mp4', 'pfx/m1/original.mov', 'pfx/m1/thumbs/pack.bin', 'pfx/m10/original.mp4', 'pfx/m2/original.mp4']) {
      await store.put(key, Buffer.from(key));
    }
    const keys = async (prefix: string) => {
      const found: string[] = [];
      for await (const object of store.list(prefix)) found.push(object.key);
      return found;
    };
    expect(await keys('pfx/m1/')).toEqual(['pfx/m1/original.mov', 'pfx/m1/proxy.mp4', 'pfx/m1/thumbs/pack.bin']);
    expect(await keys('pfx/m1')).toEqual(['pfx/m1/original.mov', 'pfx/m1/proxy.mp4', 'pfx/m1/thumbs/pack.bin', 'pfx/m10/original.mp4']);
    expect(await store.deletePrefix('pfx/m1/')).toBe(3);
    expect(await keys('pfx/')).toEqual(['pfx/m10/original.mp4', 'pfx/m2/original.mp4']);
    expect(await store.deletePrefix('pfx/nothing/')).toBe(0);
    await store.delete('pfx/m2/original.mp4');
    expect(await keys('pfx/')).toEqual(['pfx/m10/original.mp4']);
  });

  it('signs GET URLs a player can range-read, and refuses them once expired', async () => {
    await store.put('contract/signed/clip.mp4', Buffer.from('abcdefghij'));
    const url = await store.signedGetUrl('contract/signed/clip.mp4', { expiresInS: 300, contentType: 'video/mp4' });
    const ranged = await fetch(url, { headers: { range: 'bytes=2-4' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(ranged.headers.get('content-type')).toBe('video/mp4');
    expect(await ranged.text()).toBe('cde');

    const expired = await store.signedGetUrl('contract/signed/clip.mp4', {
      expiresInS: 60,
      issuedAt: new Date(Date.now() - 120_000),
    });
    const refused = await fetch(expired);
    expect(refused.status).toBe(403);
    await refused.arrayBuffer();
  });

  it('signs PUT URLs that write an object (render outputs)', async () => {
    const url = await store.signedPutUrl('contract/outputs/render.mp4', { expiresInS: 300, contentType: 'video/mp4' });
    const bytes = randomBytes(200_000);
    const put = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': 'video/mp4' } });
    expect(put.status).toBe(200);
    await put.arrayBuffer();
    expect(sha(await read((await store.get('contract/outputs/render.mp4')).body))).toBe(sha(bytes));
  });

  // s3rver does not check SigV4 signatures (only expiry), so tampering is the fs driver's to prove.
  it.runIf(driver === 'fs')('refuses tampered URLs and a GET URL used to PUT', async () => {
    await store.put('contract/signed/secret.mp4', Buffer.from('secret'));
    await store.put('contract/signed/other.mp4', Buffer.from('other'));
    const url = await store.signedGetUrl('contract/signed/other.mp4', { expiresInS: 300 });
    const pointedElsewhere = url.replace('other.mp4', 'secret.mp4');
    expect((await fetch(pointedElsewhere)).status).toBe(403);
    const longer = new URL(url);
    longer.searchParams.set('exp', String(Number(longer.searchParams.get('exp')) + 86_400));
    expect((await fetch(longer)).status).toBe(403);
    const unsigned = new URL(url);
    unsigned.search = '';
    expect((await fetch(unsigned)).status).toBe(403);
    const overwrite = await fetch(url, { method: 'PUT', body: 'overwritten' });
    expect(overwrite.status).toBe(403);
    expect((await read((await store.get('contract/signed/other.mp4')).body)).toString()).toBe('other');
  });

  it.runIf(driver === 'fs')('clears staging left by dead writers a day on, never a write or render that still works', async () => {
    const staging = (store as FsObjectStore).localStagingDir();
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000);
    const make = async (relative: string, old: boolean) => {
      const file = path.join(staging, relative);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, 'bytes');
      if (old) await fs.utimes(file, twoDaysAgo, twoDaysAgo);
    };
    await make('dead.part', true); // a write cut off by a crash
    await make('render-dead/.smart-0-sound.mp4', true); // a killed render node's work
    await make('live.part', false);
    await make('render-live/stretch.mp4', false); // the directory is old, its encode is not
    await make('render-live/copied.mp4', true);
    for (const dir of ['render-dead', 'render-live']) await fs.utimes(path.join(staging, dir), twoDaysAgo, twoDaysAgo);
    await store.put('contract/staging/kept.mp4', Buffer.from('kept'));

    await server.controlPlane.scheduler.runNow('staging-sweep');
    expect((await fs.readdir(staging)).sort()).toEqual(['live.part', 'render-live']);
    expect((await fs.readdir(path.join(staging, 'render-live'))).sort()).toEqual(['copied.mp4', 'stretch.mp4']);
    expect((await read((await store.get('contract/staging/kept.mp4')).body)).toString()).toBe('kept');
    await fs.rm(staging, { recursive: true, force: true });
  });

  it.runIf(driver === 's3')('runs no staging clean-up: the bucket has no staging directory', () => {
    expect(server.controlPlane.scheduler.names).not.toContain('staging-sweep');
  });

  it.runIf(driver === 'fs')('keeps every key inside its root', async () => {
    const fsStore = store as FsObjectStore;
    for (const key of ['../escape', 'a/../../escape', '/abs', 'a//b', 'a/./b', '.staging/x', 'a\\b', '']) {
      await expect(store.put(key, Buffer.from('x'))).rejects.toThrow(/invalid object key/);
    }
    expect(fsStore.pathOf('media/u/m/original.mp4').startsWith(fsStore.root)).toBe(true);
  });
});
