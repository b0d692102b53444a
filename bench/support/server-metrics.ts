/**
 * What a control plane's /metrics says of one route and of its garbage collection, read before
 * and after a benchmark's measured requests: the server's own share of their latency, told
 * apart from the client's.
 */
export interface ServerMetrics {
  /** Answers of the route by the upper bound of their duration's bucket (ms), cumulative. */
  buckets: Map<number, number>;
  /** Full (mark-compact) collections of the server's heap so far. */
  majorGcs: number;
}

export async function serverMetrics(baseUrl: string, route: string): Promise<ServerMetrics> {
  const answer = await fetch(`${baseUrl}/metrics`);
  if (!answer.ok) throw new Error(`/metrics: HTTP ${answer.status}`);
  const text = await answer.text();
  const buckets = new Map<number, number>();
  let majorGcs = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cutroom_http_request_duration_seconds_bucket{') && line.includes(`route="${route}"`) && line.includes('status="200"')) {
      const le = /le="([^"]+)"/.exec(line)![1]!;
      const bound = le === '+Inf' ? Infinity : Number(le) * 1000;
      buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    } else if (line.startsWith('nodejs_gc_duration_seconds_count{kind="major"}')) {
      majorGcs = Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return { buckets, majorGcs };
}

/**
 * Between two readings: the bucket bound (ms) under which the server answered the share `q` of
 * the route's requests (its histogram tells no finer), and the full collections it ran.
 */
export function serverShare(before: ServerMetrics, after: ServerMetrics, q: number): { underMs: number; answers: number; majorGcs: number } {
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const count = (bound: number) => (after.buckets.get(bound) ?? 0) - (before.buckets.get(bound) ?? 0);
  const answers = count(Infinity);
  const underMs = bounds.find((bound) => count(bound) >= q * answers) ?? Infinity;
  return { underMs, answers, majorGcs: after.majorGcs - before.majorGcs };
}
