import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Benchmark } from './support/types.js';
import { expectOk, load } from './support/load.js';
import { startBenchControlPlane } from './support/control-plane.js';

/**
 * The fixed cost of the API stack (Express, logging, metrics, validation) on the cheapest
 * endpoint, beside a bare Node server answering the same JSON: the floor every other figure sits on.
 */
const bench: Benchmark = async ({ size, log }) => {
  const total = size === 'smoke' ? 200 : 20_000;
  const concurrency = 16;
  const { controlPlane, stop } = await startBenchControlPlane();
  const bodyText = JSON.stringify((await (await fetch(`${controlPlane.url}/api/version`)).json()) as unknown);
  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(bodyText);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/api/version`;
  try {
    log(`${total} requests, concurrency ${concurrency}`);
    // CPU time of this process (client and server) per request: steadier than the wall-clock
    // figures on a machine other work shares.
    const cpuPerRequestUs = async (url: string) => {
      const before = process.cpuUsage();
      const result = await load(async () => expectOk(await fetch(url)), total, concurrency);
      const used = process.cpuUsage(before);
      return { ...result, cpuUs: (used.user + used.system) / (total + Math.max(1, Math.floor(total / 10))) };
    };
    const api = await cpuPerRequestUs(`${controlPlane.url}/api/version`);
    const baseline = await cpuPerRequestUs(bareUrl);
    return [
      { benchmark: 'http-overhead', metric: 'GET /api/version p50', value: api.p50Ms, unit: 'ms' },
      { benchmark: 'http-overhead', metric: 'GET /api/version p99', value: api.p99Ms, unit: 'ms' },
      { benchmark: 'http-overhead', metric: 'GET /api/version throughput', value: api.perSecond, unit: 'req/s' },
      { benchmark: 'http-overhead', metric: 'bare node p99', value: baseline.p99Ms, unit: 'ms' },
      { benchmark: 'http-overhead', metric: 'bare node throughput', value: baseline.perSecond, unit: 'req/s' },
      { benchmark: 'http-overhead', metric: 'GET /api/version CPU per request', value: api.cpuUs, unit: 'µs', note: 'this process: client and server' },
      { benchmark: 'http-overhead', metric: 'bare node CPU per request', value: baseline.cpuUs, unit: 'µs', note: 'this process: client and server' },
      { benchmark: 'http-overhead', metric: 'CPU per request bare/api', value: baseline.cpuUs / api.cpuUs, unit: 'ratio' },
      {
        benchmark: 'http-overhead',
        metric: 'throughput api/bare',
        value: api.perSecond / baseline.perSecond,
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
