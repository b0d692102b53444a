import { load } from './load.js';

export interface RoundFigures {
  perSecond: number;
  /** CPU time of this process (client and server) per request sent, warm-up included. */
  cpuUs: number;
  /** Medians of the rounds' percentiles. */
  p50Ms: number;
  p99Ms: number;
}

/**
 * Loads servers side by side, fairly. The process warms up first, on every target: over its first
 * tens of thousands of requests (the client's code being compiled, V8 sizing its heap) a request
 * costs up to twice what it costs after, which would otherwise all fall on the target measured
 * first. Then the targets in turn, a part of the requests each time, in an order that rotates:
 * what other work on the machine takes meanwhile falls on all of them alike. Throughput and CPU
 * time are over all the rounds; latencies the median of the rounds'.
 */
export async function compareInRounds<Name extends string>(
  targets: Record<Name, (i: number) => Promise<void>>,
  total: number,
  concurrency: number,
  rounds = 4,
): Promise<Record<Name, RoundFigures>> {
  const names = Object.keys(targets) as Name[];
  for (const name of names) await load(targets[name], Math.max(1, Math.floor(total / 2)), concurrency);
  const part = Math.ceil(total / rounds);
  const measured = new Map(names.map((name) => [name, { requests: 0, sent: 0, seconds: 0, cpuUs: 0, p50Ms: [] as number[], p99Ms: [] as number[] }]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      const before = process.cpuUsage();
      const result = await load(targets[name], part, concurrency);
      const used = process.cpuUsage(before);
      const into = measured.get(name)!;
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
  const figures = {} as Record<Name, RoundFigures>;
  for (const [name, m] of measured) {
    figures[name] = { perSecond: m.requests / m.seconds, cpuUs: m.cpuUs / m.sent, p50Ms: median(m.p50Ms), p99Ms: median(m.p99Ms) };
  }
  return figures;
}
