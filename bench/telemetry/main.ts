import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Progress } from '@chirp/platform/progress';
import { VARIANT_ENV, VARIANTS, type Variant } from './variants.ts';

/**
 * `npm run bench:telemetry`: what observing a request costs. Five servers answer the same JSON
 * page (variants.ts): bare node:http and express as baselines, then Chirp's JSON app with
 * telemetry off, with JSON logs, and with the OpenTelemetry SDK exporting to a local OTLP sink.
 * Rounds interleave the variants, so a machine whose speed drifts shifts them all alike; each
 * figure is the median over rounds. Prints a table, saves bench/results/telemetry-*.json.
 */
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '50' },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? 3 : 10));
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const connections = Number(values.connections);
const repoRoot = join(import.meta.dirname, '..', '..');

interface Sample {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/** The OpenTelemetry Collector's place: accepts OTLP/HTTP posts and counts them. */
async function startSink(): Promise<{ server: Server; url: string; received: { posts: number; bytes: number } }> {
  const received = { posts: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (d: Buffer) => (received.bytes += d.length));
    req.on('end', () => {
      received.posts += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

interface RunningVariant {
  variant: Variant;
  url: string;
  child: ChildProcess;
  /** Bytes the process wrote to stdout (its log lines), read through a pipe as a log collector would. */
  logBytes: () => number;
}

async function startVariant(variant: Variant, sinkUrl: string): Promise<RunningVariant> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  Object.assign(env, { NODE_ENV: 'production', OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_METRIC_EXPORT_INTERVAL: '5000' }, VARIANT_ENV[variant]);
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/telemetry/server.ts'), variant], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logBytes = 0;
  child.stdout!.on('data', (d: Buffer) => (logBytes += d.length));
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
      const match = /\{"port":(\d+)\}/.exec(err);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}: ${err}`)));
  });
  return { variant, url: `http://127.0.0.1:${port}/v1/users/bench_author`, child, logBytes: () => logBytes };
}

async function measure(url: string, duration: number): Promise<Sample> {
  const r = await autocannon({ url, connections, duration });
  return { requestsPerSecond: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const sink = await startSink();
const running: RunningVariant[] = [];
try {
  for (const variant of VARIANTS) running.push(await startVariant(variant, sink.url));
  const samples = new Map<Variant, Sample[]>(VARIANTS.map((v) => [v, []]));
  const requests = new Map<Variant, number>(VARIANTS.map((v) => [v, 0]));
  const progress = new Progress('bench:telemetry', rounds * VARIANTS.length, 'runs');
  for (let round = 1; round <= rounds; round++) {
    for (const target of running) {
      await measure(target.url, 1); // warm-up: JIT, keep-alive connections
      const sample = await measure(target.url, seconds);
      samples.get(target.variant)!.push(sample);
      requests.set(target.variant, requests.get(target.variant)! + sample.requestsPerSecond * seconds);
      progress.tick();
      console.error(`  round ${round}/${rounds} ${target.variant}: ${sample.requestsPerSecond} req/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms`);
    }
  }
  progress.finish();

  const summary = VARIANTS.map((variant) => {
    const s = samples.get(variant)!;
    return {
      variant,
      requestsPerSecond: median(s.map((x) => x.requestsPerSecond)),
      p50: median(s.map((x) => x.p50)),
      p99: median(s.map((x) => x.p99)),
      errors: s.reduce((n, x) => n + x.errors, 0),
    };
  });
  const rate = (v: Variant) => summary.find((s) => s.variant === v)!.requestsPerSecond;
  const logs = running.find((r) => r.variant === 'chirp-logs')!;
  const rows = summary.map((s) => ({
    ...s,
    toNodeHttp: Number((s.requestsPerSecond / rate('node-http')).toFixed(2)),
    toChirpQuiet: Number((s.requestsPerSecond / rate('chirp-quiet')).toFixed(2)),
  }));
  const results = {
    meta: { at: new Date().toISOString(), node: process.version, cpus: cpus().length, seconds, rounds, connections },
    rows,
    // Checks that the variants did what they claim: log bytes per request, OTLP posts received.
    evidence: {
      logBytesPerRequest: Math.round(logs.logBytes() / Math.max(1, requests.get('chirp-logs')!)),
      otlpPosts: sink.received.posts,
      otlpBytes: sink.received.bytes,
    },
  };
  const table = [
    '| server | req/s | p50 ms | p99 ms | ratio to node:http | ratio to Chirp, telemetry off |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.variant} | ${r.requestsPerSecond} | ${r.p50} | ${r.p99} | ${r.toNodeHttp} | ${r.toChirpQuiet} |`),
  ].join('\n');
  console.log(`\n${table}\n`);
  console.log(`log bytes per request (chirp-logs): ${results.evidence.logBytesPerRequest}; OTLP posts received: ${results.evidence.otlpPosts} (${results.evidence.otlpBytes} bytes)`);
  if (rows.some((r) => r.errors > 0)) console.error(`errors: ${rows.map((r) => `${r.variant} ${r.errors}`).join(', ')}`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(dir, `telemetry-${results.meta.at.replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(join(dir, 'telemetry-latest.json'), json);
} finally {
  for (const r of running) r.child.kill('SIGTERM');
  sink.server.close();
}
