import autocannon, { type AutocannonResult } from 'autocannon';

/**
 * 3. Home-timeline reads at 50 concurrent connections (autocannon's programmatic API): the query
 * API's GET /v1/timeline for two readers, and the two baselines serving a same-sized body. Each
 * target gets a short warm-up run first (JIT, connection pools, caches).
 */

export interface ReadTarget {
  name: string;
  url: string;
  headers?: Record<string, string>;
}

export interface ReadResult {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  bytesPerResponse: number;
  non2xx: number;
  errors: number;
}

export async function measureReads(targets: readonly ReadTarget[], o: { connections: number; seconds: number; warmupSeconds: number }): Promise<ReadResult[]> {
  const results: ReadResult[] = [];
  for (const t of targets) {
    await run(t, o.connections, o.warmupSeconds);
    const r = await run(t, o.connections, o.seconds);
    const ok = r['2xx'] || r.requests.total || 1;
    results.push({
      name: t.name,
      requestsPerSecond: Math.round(r.requests.average),
      p50: r.latency.p50,
      p99: r.latency.p99,
      bytesPerResponse: Math.round(r.throughput.total / ok),
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
    });
    console.error(`  reads ${t.name}: ${results.at(-1)!.requestsPerSecond} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`);
  }
  return results;
}

function run(t: ReadTarget, connections: number, seconds: number): Promise<AutocannonResult> {
  return autocannon({ url: t.url, connections, duration: seconds, headers: t.headers ?? {} });
}
