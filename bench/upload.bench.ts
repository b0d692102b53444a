import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Benchmark } from './support/types.js';
import { startBenchControlPlane } from './support/control-plane.js';
import { benchUser } from './support/bench-user.js';

/**
 * Upload throughput: a file sent in 8 MB chunks through `PUT /api/upload/media` (auth, session
 * checks, each chunk streamed to the object store and recorded), beside the same chunks PUT to a
 * bare Node server that appends them to a file on the same disk: a plain loopback copy.
 */
const bench: Benchmark = async ({ size, log }) => {
  const totalBytes = size === 'smoke' ? 16 * 2 ** 20 : 2 ** 30;
  const chunkBytes = size === 'smoke' ? 2 ** 20 : 8 * 2 ** 20;
  const chunk = Buffer.alloc(chunkBytes);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const chunkCount = Math.ceil(totalBytes / chunkBytes);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cutroom-upload-bench-'));
  // No render nodes: the figure is the upload alone, not the ingest that follows it.
  const { controlPlane, stop } = await startBenchControlPlane({ DATA_DIR: dir, WORKERS: '1', DISPATCH_INTERVAL_MS: '60000' });
  // `?durable` makes the bare server flush each chunk to the disk before answering, as the API does.
  const bare = http.createServer((req, res) => {
    const out = fs.createWriteStream(path.join(dir, 'bare.bin'), { flags: 'a', flush: req.url?.includes('durable') ?? false });
    req.pipe(out).on('close', () => res.writeHead(206).end());
  });
  try {
    await controlPlane.services.work.close();
    const { token } = await benchUser(controlPlane);
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
    log(`${totalBytes / 2 ** 20} MiB in ${chunkBytes / 2 ** 20} MiB chunks`);

    const send = async (url: string, i: number, headers: Record<string, string>) => {
      const start = i * chunkBytes;
      const length = Math.min(chunkBytes, totalBytes - start);
      const res = await fetch(url, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${start + length - 1}/${totalBytes}` },
        body: length === chunkBytes ? chunk : chunk.subarray(0, length),
      });
      await res.arrayBuffer();
      if (res.status !== 200 && res.status !== 206) throw new Error(`chunk ${i}: HTTP ${res.status}`);
      return res.status;
    };

    const uploadThroughApi = async () => {
      const created = await fetch(`${controlPlane.url}/api/upload/media`, {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body: JSON.stringify({ size: totalBytes, name: 'bench.mp4' }),
      });
      const { id } = (await created.json()) as { id: string };
      let last = 0;
      for (let i = 0; i < chunkCount; i++) last = await send(`${controlPlane.url}/api/upload/media?id=${id}`, i, { authorization: token });
      if (last !== 200) throw new Error(`the last chunk answered ${last}, not 200`);
    };
    const copyToBare = async (durable: boolean) => {
      await fsp.rm(path.join(dir, 'bare.bin'), { force: true });
      for (let i = 0; i < chunkCount; i++) await send(durable ? `${bareUrl}?durable` : bareUrl, i, {});
    };
    // Disk writeback of one run slows the next: each is run twice, interleaved, and the best kept.
    const timed = async (run: () => Promise<void>) => {
      const t = performance.now();
      await run();
      return (performance.now() - t) / 1000;
    };
    let [apiS, bareS, durableS] = [Infinity, Infinity, Infinity];
    for (let round = 0; round < 2; round++) {
      apiS = Math.min(apiS, await timed(uploadThroughApi));
      bareS = Math.min(bareS, await timed(() => copyToBare(false)));
      durableS = Math.min(durableS, await timed(() => copyToBare(true)));
    }
    const mib = totalBytes / 2 ** 20;
    return [
      {
        benchmark: 'upload',
        metric: 'API chunked upload',
        value: mib / apiS,
        unit: 'MiB/s',
        note: `${mib} MiB, ${chunkBytes / 2 ** 20} MiB chunks, fs storage`,
      },
      { benchmark: 'upload', metric: 'bare loopback copy', value: mib / bareS, unit: 'MiB/s', note: 'same chunks to a plain Node server appending to a file' },
      {
        benchmark: 'upload',
        metric: 'bare durable copy',
        value: mib / durableS,
        unit: 'MiB/s',
        note: 'the same, each chunk flushed to disk before the answer',
      },
      {
        benchmark: 'upload',
        metric: 'throughput api/bare',
        value: bareS / apiS,
        unit: 'ratio',
        note: 'target >= 0.7; the API flushes every chunk, the bare copy does not',
      },
      { benchmark: 'upload', metric: 'throughput api/bare durable', value: durableS / apiS, unit: 'ratio', note: 'both flush every chunk to disk' },
    ];
  } finally {
    bare.close();
    await stop();
    await fsp.rm(dir, { recursive: true, force: true });
  }
};
export default bench;
