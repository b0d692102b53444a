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
  const answer = await fetch(`${controlPlane.url}/api/version`);
  const bodyText = JSON.stringify((await answer.json()) as unknown);
  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(bodyText);
  });
  // A second floor: bare Node sending the API's own headers (security headers, CORS, a request
  // id), which the client parses and the server writes whatever stack sends them.
  const perAnswer = new Set(['date', 'connection', 'keep-alive', 'content-length', 'x-request-id']);
  const apiHeaders: Array<[string, string]> = [];
  answer.headers.forEach((value, name) => {
    if (!perAnswer.has(name)) apiHeaders.push([name, value]);
  });
  let requestCount = 0;
  const bareWithHeaders = http.createServer((_req, res) => {
    for (const [name, value] of apiHeaders) res.setHeader(name, value);
    res.setHeader('x-request-id', `bare-${++requestCount}`);
    res.writeHead(200).end(bodyText);
  });
  const listen = async (server: http.Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/version`;
  };
  const bareUrl = await listen(bare);
  const bareWithHeadersUrl = await listen(bareWithHeaders);
  try {
    log(`${total} requests each, concurrency ${concurrency}`);
    const targets = { api: `${controlPlane.url}/api/version`, baseline: bareUrl, headersFloor: bareWithHeadersUrl };
    const names = Object.keys(targets) as Array<keyof typeof targets>;
    const send = (url: string) => async () => expectOk(await fetch(url));
    // The process warms up first, on all three: over its first tens of thousands of requests
    // (the client's code being compiled, V8 sizing its heap) a request costs up to twice what it
    // costs after, which would otherwise all fall on the server measured first.
    for (const name of names) await load(send(targets[name]), Math.max(1, total / 2), concurrency);
    // Then the three in turn, a part of the requests each time, in an order that rotates: what
    // other work on the machine takes meanwhile falls on all three alike. CPU time of this
    // process (client and server) per request: steadier than the wall-clock figures.
    const rounds = 4;
    const part = Math.ceil(total / rounds);
    const measured = Object.fromEntries(
      names.map((name) => [name, { requests: 0, sent: 0, seconds: 0, cpuUs: 0, p50Ms: [] as number[], p99Ms: [] as number[] }]),
    );
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length]!;
        const before = process.cpuUsage();
        const result = await load(send(targets[name]), part, concurrency);
        const used = process.cpuUsage(before);
        const into = measured[name]!;
        into.requests += result.requests;
        // load() sends a tenth more first, not timed: the CPU time covers those too.
        into.sent += result.requests + Math.max(1, Math.floor(part / 10));
        into.seconds += result.requests / result.perSecond;
        into.cpuUs += used.user + used.system;
        into.p50Ms.push(result.p50Ms);
        into.p99Ms.push(result.p99Ms);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    // Throughput and CPU time over all the rounds; latencies the median of the rounds'.
    const figures = (name: keyof typeof targets) => {
      const m = measured[name]!;
      return { perSecond: m.requests / m.seconds, cpuUs: m.cpuUs / m.sent, p50Ms: median(m.p50Ms), p99Ms: median(m.p99Ms) };
    };
    const api = figures('api');
    const baseline = figures('baseline');
    const headersFloor = figures('headersFloor');
    return [
      { benchmark: 'http-overhead', metric: 'GET /api/version p50', value: api.p50Ms, unit: 'ms' },
      { benchmark: 'http-overhead', metric: 'GET /api/version p99', value: api.p99Ms, unit: 'ms' },
      { benchmark: 'http-overhead', metric: 'GET /api/version throughput', value: api.perSecond, unit: 'req/s' },
      { benchmark: 'http-overhead', metric: 'bare node p99', value: baseline.p99Ms, unit: 'ms' },
      { benchmark: 'http-overhead', metric: 'bare node throughput', value: baseline.perSecond, unit: 'req/s' },
      { benchmark: 'http-overhead', metric: 'GET /api/version CPU per request', value: api.cpuUs, unit: 'µs', note: 'this process: client and server' },
      { benchmark: 'http-overhead', metric: 'bare node CPU per request', value: baseline.cpuUs, unit: 'µs', note: 'this process: client and server' },
      { benchmark: 'http-overhead', metric: 'CPU per request bare/api', value: baseline.cpuUs / api.cpuUs, unit: 'ratio' },
      { benchmark: 'http-overhead', metric: 'bare node with the API headers throughput', value: headersFloor.perSecond, unit: 'req/s' },
      {
        benchmark: 'http-overhead',
        metric: 'bare node with the API headers CPU per request',
        value: headersFloor.cpuUs,
        unit: 'µs',
        note: `${apiHeaders.length + 1} headers`,
      },
      {
        benchmark: 'http-overhead',
        metric: 'throughput api/bare with the API headers',
        value: api.perSecond / headersFloor.perSecond,
        unit: 'ratio',
        note: 'what the stack costs beyond the headers it must send',
      },
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
    bareWithHeaders.close();
    await stop();
  }
};
export default bench;
