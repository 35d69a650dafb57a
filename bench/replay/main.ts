import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '@chirp/command-api/passwords';
import { createSqlEventStore, openPgExecutor } from '@chirp/event-store';
import { Progress } from '@chirp/platform/progress';
import { createProjections } from '@chirp/projectors/read-models/index';
import type { ReplayResult } from '@chirp/projectors/replay/replay-projection';
import { writeGeneratedBlock } from '../doc-block.ts';
import { generate } from '../timeline/generate-graph.ts';
import { buildGraph, defaultGraphOptions, describeGraph } from '../timeline/graph-model.ts';
import { cleanUp, freshDatabase, onCleanup, startPostgres } from '../timeline/infra.ts';

/**
 * `npm run bench:replay`: replay throughput of every projection over a generated store of ≥ 1M
 * events, next to the raw `readAll` rate of the same store in the same run (docs/performance.md).
 * 1. generate the graph of bench:timeline at 125k users (~1.1M events);
 * 2. baseline: read the whole log with `readAll`, pages of 2,000 — again right before each
 *    projection's replay, whose ratio is taken against that paired read (this machine's speed
 *    drifts by ±30% over minutes, so a single read at the start would skew later ratios);
 * 3. each projection replayed alone (`replayProjection`, its own process), events/s;
 * 4. the whole read side replayed at once, one process per projection: the wall time.
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const users = Number(process.env.CHIRP_BENCH_USERS ?? (process.argv.includes('--quick') ? 20_000 : 125_000));
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
/** `--only=a,b`: replay just these, alone (no whole-read-side step, no doc update): for experiments. */
const only = onlyArg ? onlyArg.slice('--only='.length).split(',') : null;
const writeDoc = !process.argv.includes('--no-doc') && !only;
const started = Date.now();
const step = (what: string) => console.error(`\n▶ ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

try {
  const meta: Record<string, unknown> = { startedAt: new Date(started).toISOString(), nproc: cpus().length, node: process.version, loadAtStart: loadavg().map((l) => l.toFixed(2)).join(' '), users };
  step('starting PostgreSQL');
  const pg = process.env.CHIRP_BENCH_DATABASE_URL ? null : await startPostgres();
  const databaseUrl = pg ? pg.url : await freshDatabase(process.env.CHIRP_BENCH_DATABASE_URL!);
  const executor = await openPgExecutor(databaseUrl, { maxConnections: 4 });
  const store = await createSqlEventStore(executor);
  onCleanup(async () => {
    await store.close();
    await executor.close();
  });

  step(`writing a ${users.toLocaleString('en-US')}-user graph as events`);
  const graph = buildGraph(defaultGraphOptions(users));
  meta.graph = describeGraph(graph);
  const generated = await generate(executor, graph, { batch: 2_000, workers: 3, passwordHash: await hashPassword(randomBytes(12).toString('hex')), appendPath: 'bulk' });
  const events = await store.countAfter(0, Number.MAX_SAFE_INTEGER);
  Object.assign(meta, { events, generateSeconds: Math.round(generated.seconds) });
  // A store in service has been vacuumed; without this, autovacuum of the freshly written log
  // runs during whichever replay comes first.
  step('VACUUM ANALYZE of the generated store');
  await executor.query('VACUUM ANALYZE');

  step(`baseline: readAll over ${events.toLocaleString('en-US')} events`);
  const read = await rawRead(store, events);
  console.error(`readAll: ${read.eventsPerSecond.toLocaleString('en-US')} events/s`);

  const names = createProjections({ homeTimeline: { cache: null, celebrityThreshold: 10_000 } })
    .map((p) => p.name)
    .filter((n) => !only || only.includes(n));
  const alone: Record<string, ReplayResult> = {};
  const pairedRead: Record<string, Awaited<ReturnType<typeof rawRead>>> = {};
  for (const name of names) {
    step(`readAll, then replay ${name} alone`);
    pairedRead[name] = await rawRead(store, events);
    alone[name] = (await replayInProcesses(databaseUrl, [name]))[0]!;
    console.error(`${name}: ${rate(alone[name]!)} events/s (${alone[name]!.seconds.toFixed(1)} s), ${(rate(alone[name]!) / pairedRead[name]!.eventsPerSecond).toFixed(2)}× of the readAll before it`);
  }

  step(only ? 'skipping the whole read side (--only)' : 'the whole read side at once (a process per projection)');
  const allStarted = performance.now();
  const together = only ? [] : await replayInProcesses(databaseUrl, names);
  const wholeSeconds = (performance.now() - allStarted) / 1000;

  const rows = [
    { measure: `raw readAll, ${events.toLocaleString('en-US')} events`, value: `${read.eventsPerSecond.toLocaleString('en-US')} events/s (${read.seconds.toFixed(1)} s)`, ratio: '', target: '', verdict: '' },
    ...names.map((n) => {
      const paired = pairedRead[n]!.eventsPerSecond;
      const ratio = rate(alone[n]!) / paired;
      return {
        measure: `replay ${n} alone`,
        value: `${rate(alone[n]!).toLocaleString('en-US')} events/s (${alone[n]!.seconds.toFixed(1)} s)`,
        ratio: `${ratio.toFixed(2)}× of readAll (${paired.toLocaleString('en-US')}/s just before)`,
        target: '≥ 0.25×',
        verdict: ratio >= 0.25 ? 'PASS' : 'MISS',
      };
    }),
    ...(only
      ? []
      : [
          {
            measure: `the whole read side (${names.length} projections, one process each, at once)`,
            value: `${wholeSeconds.toFixed(1)} s`,
            ratio: `slowest ${together.reduce((a, b) => (a.seconds > b.seconds ? a : b)).projection}`,
            target: '< 180 s',
            verdict: wholeSeconds < 180 ? 'PASS' : 'MISS',
          },
        ]),
  ];
  meta.finishedAt = new Date().toISOString();
  meta.totalSeconds = Math.round((Date.now() - started) / 1000);
  const results = { meta, read, pairedRead, alone, together: { seconds: wholeSeconds, results: together }, rows };
  const table = ['| measure | measured | ratio | target | verdict |', '|---|---|---|---|---|', ...rows.map((r) => `| ${r.measure} | ${r.value} | ${r.ratio} | ${r.target} | ${r.verdict ? `**${r.verdict}**` : ''} |`)].join('\n');
  console.log(`\n${table}\n`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (!only) {
    writeFileSync(join(dir, `replay-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), json);
    writeFileSync(join(dir, 'replay-latest.json'), json);
  }
  if (writeDoc) updateDoc(join(repoRoot, 'docs', 'performance.md'), meta, table);
  console.error(`total ${meta.totalSeconds} s`);
} finally {
  await cleanUp();
}

function rate(r: ReplayResult): number {
  return Math.round(r.events / r.seconds);
}

async function rawRead(store: Awaited<ReturnType<typeof createSqlEventStore>>, total: number): Promise<{ events: number; seconds: number; eventsPerSecond: number }> {
  const progress = new Progress('readAll', total, 'events');
  const t0 = performance.now();
  let position = 0;
  let events = 0;
  for (;;) {
    const page = await store.readAll(position, 2_000);
    if (page.length === 0) break;
    position = page[page.length - 1]!.position;
    events += page.length;
    progress.tick(page.length);
  }
  progress.finish();
  const seconds = (performance.now() - t0) / 1000;
  return { events, seconds, eventsPerSecond: Math.round(events / seconds) };
}

function replayInProcesses(databaseUrl: string, names: readonly string[]): Promise<ReplayResult[]> {
  return Promise.all(
    names.map(
      (name) =>
        new Promise<ReplayResult>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'replay', 'replay-one.ts'), name], {
            cwd: repoRoot,
            env: { ...process.env, CHIRP_DATABASE_URL: databaseUrl },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (d: Buffer) => (out += d));
          child.stderr.on('data', (d: Buffer) => (err += d));
          child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ReplayResult) : reject(new Error(`replay of ${name} failed (${code}): ${err.slice(-2000)}`))));
        }),
    ),
  );
}

function updateDoc(path: string, meta: Record<string, unknown>, table: string): void {
  writeGeneratedBlock(
    path,
    'replay',
    [
      `Latest run: ${String(meta.finishedAt)} · ${String(meta.events)} events (${String(meta.users)} users) · nproc ${String(meta.nproc)} · Node ${String(meta.node)} · load average at start ${String(meta.loadAtStart)} · total ${String(meta.totalSeconds)} s`,
      '',
      table,
      '',
      'Raw figures: `bench/results/replay-latest.json`.',
    ],
    '## Replay benchmark (`npm run bench:replay`)',
  );
}
