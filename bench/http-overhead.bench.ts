import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Benchmark } from './support/types.js';
import { expectOk } from './support/load.js';
import { compareInRounds } from './support/rounds.js';
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
    const send = (url: string) => async () => expectOk(await fetch(url));
    const { api, baseline, headersFloor } = await compareInRounds(
      { api: send(`${controlPlane.url}/api/version`), baseline: send(bareUrl), headersFloor: send(bareWithHeadersUrl) },
      total,
      concurrency,
    );
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
