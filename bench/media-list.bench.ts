import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { Benchmark } from './support/types.js';
import { expectOk, load } from './support/load.js';
import { compareInRounds } from './support/rounds.js';
import { getLoad } from './support/get-load.js';
import { startBenchControlPlane } from './support/control-plane.js';
import { libraryRows } from './support/library-rows.js';
import { benchUser } from './support/bench-user.js';

/**
 * `GET /api/mediafiles` on one user's library of 10,000 files (each with a thumbnail, as the
 * list answers them): sorted by every field, searched, filtered and paged deep, beside a bare
 * Node server answering the same JSON. Seeding goes straight to the database; the requests go
 * through the whole API (auth, validation, queries, signed URLs).
 */
const bench: Benchmark = async ({ size, log }) => {
  const files = size === 'smoke' ? 300 : 10_000;
  const total = size === 'smoke' ? 60 : 6_000;
  const concurrency = 8;
  const { controlPlane, stop } = await startBenchControlPlane();
  const { db } = controlPlane.database;
  const bare = http.createServer();
  try {
    const { userId, token } = await benchUser(controlPlane);

    log(`seeding ${files} media files`);
    for (const rows of libraryRows(userId, files)) await db.insertInto('media').values(rows).execute();
    await sql`analyze media`.execute(db);

    const queries = [
      '',
      '?sort_field=name&sort_order=asc&start_number=5000',
      '?sort_field=size&sort_order=desc&search=clip%2012',
      '?sort_field=duration&sort_order=asc&filter=video&start_number=2000',
      '?sort_field=createTime&sort_order=asc&start_number=9980',
      '?search=drone&sort_field=name',
    ];
    const headers = { authorization: token };
    for (const query of queries) {
      const answer = (await (await fetch(`${controlPlane.url}/api/mediafiles${query}`, { headers })).json()) as { total_count: number; entries: unknown[] };
      log(`${query || '(default)'}: total_count ${answer.total_count}, ${answer.entries.length} entries`);
    }
    const bodyText = await (await fetch(`${controlPlane.url}/api/mediafiles`, { headers })).text();
    bare.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(bodyText) }).end(bodyText);
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/api/mediafiles`;

    log(`${total} requests over ${queries.length} query shapes, concurrency ${concurrency}; page body ${bodyText.length} bytes`);
    const single = await load(async () => expectOk(await fetch(`${controlPlane.url}/api/mediafiles${queries[1]}`, { headers })), Math.ceil(total / 4), 1);
    // The same requests with no answer kept: every one is listed from the database, as the
    // first request after a change to the library is.
    const { listAnswers } = controlPlane.services.media;
    const budgetBytes = listAnswers.budgetBytes;
    listAnswers.budgetBytes = 0;
    const uncached = await load(
      async (i) => expectOk(await fetch(`${controlPlane.url}/api/mediafiles${queries[i % queries.length]}`, { headers })),
      total,
      concurrency,
    );
    listAnswers.budgetBytes = budgetBytes;
    // The reused answers and the bare page side by side, warmed up alike (see compareInRounds).
    const { api, baseline } = await compareInRounds(
      {
        api: async (i) => expectOk(await fetch(`${controlPlane.url}/api/mediafiles${queries[i % queries.length]}`, { headers })),
        baseline: async () => expectOk(await fetch(bareUrl)),
      },
      total,
      concurrency,
    );
    // The same reused answers and bare page with the client in a thread of its own (getLoad), which
    // reads into one reused buffer: fetch in this thread, whose heap holds the control plane,
    // counts its own garbage collections as latency and costs both servers alike.
    const paths = Array.from({ length: total }, (_, i) => `/api/mediafiles${queries[i % queries.length]}`);
    const warmup = paths.slice(0, queries.length * 4);
    const apiThread = await getLoad({ baseUrl: controlPlane.url, headers, warmup, measured: paths, concurrency });
    const bareOrigin = new URL(bareUrl).origin;
    const bareThread = await getLoad({
      baseUrl: bareOrigin,
      headers: {},
      warmup: warmup.map(() => '/api/mediafiles'),
      measured: paths.map(() => '/api/mediafiles'),
      concurrency,
    });
    const name = 'media-list';
    const note = `${files} files, 20 per page; answers reused while the library is unchanged`;
    return [
      { benchmark: name, metric: 'GET /api/mediafiles p50', value: api.p50Ms, unit: 'ms', note },
      { benchmark: name, metric: 'GET /api/mediafiles p99', value: api.p99Ms, unit: 'ms', note },
      { benchmark: name, metric: 'GET /api/mediafiles throughput', value: api.perSecond, unit: 'req/s', note },
      { benchmark: name, metric: 'uncached p50', value: uncached.p50Ms, unit: 'ms', note: 'no answer kept: every request listed from the database' },
      { benchmark: name, metric: 'uncached p99', value: uncached.p99Ms, unit: 'ms' },
      { benchmark: name, metric: 'uncached throughput', value: uncached.perSecond, unit: 'req/s' },
      { benchmark: name, metric: 'name sort, offset 5000, one client p50', value: single.p50Ms, unit: 'ms' },
      { benchmark: name, metric: 'name sort, offset 5000, one client p99', value: single.p99Ms, unit: 'ms' },
      { benchmark: name, metric: 'bare node p50', value: baseline.p50Ms, unit: 'ms' },
      { benchmark: name, metric: 'bare node p99', value: baseline.p99Ms, unit: 'ms' },
      { benchmark: name, metric: 'bare node throughput', value: baseline.perSecond, unit: 'req/s' },
      { benchmark: name, metric: 'throughput api/bare', value: api.perSecond / baseline.perSecond, unit: 'ratio', note: 'same machine, same client, one run' },
      {
        benchmark: name,
        metric: 'client thread: GET /api/mediafiles p50',
        value: apiThread.p50Ms,
        unit: 'ms',
        note: 'answers reused; the client in a thread of its own',
      },
      { benchmark: name, metric: 'client thread: GET /api/mediafiles p99', value: apiThread.p99Ms, unit: 'ms', note: 'target < 20 ms' },
      { benchmark: name, metric: 'client thread: GET /api/mediafiles throughput', value: apiThread.perSecond, unit: 'req/s' },
      { benchmark: name, metric: 'client thread: bare node p99', value: bareThread.p99Ms, unit: 'ms' },
      { benchmark: name, metric: 'client thread: bare node throughput', value: bareThread.perSecond, unit: 'req/s' },
      {
        benchmark: name,
        metric: 'client thread: throughput api/bare',
        value: apiThread.perSecond / bareThread.perSecond,
        unit: 'ratio',
        note: 'each API request checks its token in the database; bare Node answers from memory',
      },
      {
        benchmark: name,
        metric: 'uncached throughput api/bare',
        value: uncached.perSecond / baseline.perSecond,
        unit: 'ratio',
        note: 'same machine, same client, one run',
      },
    ];
  } finally {
    bare.close();
    await stop();
  }
};
export default bench;
