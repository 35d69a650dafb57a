import { parseArgs } from 'node:util';

/** The benchmark's knobs: flags, or CHIRP_BENCH_* environment variables; `--quick` for a smoke run. */
export interface BenchOptions {
  quick: boolean;
  users: number;
  celebrityThreshold: number;
  timelineMax: number;
  appendPath: 'bulk' | 'store';
  /** Run the hybrid projection on Redis in the projector (when it exists). */
  projectorCache: boolean;
  /** Most users whose timelines are warmed (cached) before measuring. */
  warmUsers: number;
  posts: number;
  fanoutPosts: number;
  fanoutLists: number;
  fanoutEntries: number;
  fanoutRounds: number;
  readSeconds: number;
  readWarmupSeconds: number;
  connections: number;
  lagRate: number;
  lagSeconds: number;
  lagPollMs: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  writeDoc: boolean;
  /** Write a V8 CPU profile of each service process (APIs, projectors) into this directory. */
  profileDir: string | undefined;
  /** Reuse (or save) the caught-up database for the same graph and code (fixture.ts). */
  fixture: boolean;
}

const HELP = `npm run bench:timeline [-- options]
  --quick                 smoke run: 10k users, short measurements (not the benchmark scale)
  --users N               users in the synthetic graph (default 100000; env CHIRP_BENCH_USERS)
  --rate N                delivery-lag post rate per second (default 200)
  --read-seconds N        autocannon duration per target (default 10)
  --lag-seconds N         length of the steady post stream (default 20)
  --append-path P         bulk (default) | store (appendInTransaction per stream; slow)
  --no-projector-cache    run the SQL-only home-timeline projection even if the hybrid one exists
  --no-doc                do not rewrite docs/performance.md
  --no-fixture            generate and catch up from scratch, even if a saved database fits
  --profile DIR           write a CPU profile of every service process into DIR (slows them:
                          for finding where time goes, not for the figures)
Environment: CHIRP_BENCH_DATABASE_URL, CHIRP_BENCH_REDIS_URL use existing servers (a fresh
database is created on the PostgreSQL server and dropped at the end; the Redis should be a
dedicated one: the system under test writes its default 'chirp:' keys there).`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      users: { type: 'string' },
      rate: { type: 'string' },
      'read-seconds': { type: 'string' },
      'lag-seconds': { type: 'string' },
      'append-path': { type: 'string' },
      'no-projector-cache': { type: 'boolean', default: false },
      'no-doc': { type: 'boolean', default: false },
      'no-fixture': { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick || env.CHIRP_BENCH_QUICK === '1';
  const num = (flag: string | undefined, envName: string, fallback: number) => {
    const raw = flag ?? env[envName];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${envName}/flag must be a positive number, got ${raw}`);
    return n;
  };
  const users = Math.round(num(values.users, 'CHIRP_BENCH_USERS', quick ? 10_000 : 100_000));
  const appendPath = (values['append-path'] ?? env.CHIRP_BENCH_APPEND_PATH ?? 'bulk') as string;
  if (appendPath !== 'bulk' && appendPath !== 'store') throw new Error(`--append-path must be bulk or store, got ${appendPath}`);
  return {
    quick,
    users,
    // The threshold scales with the graph so a small run still has celebrities (10k at 100k users).
    celebrityThreshold: Math.min(10_000, Math.max(100, Math.floor(users / 10))),
    timelineMax: 800,
    appendPath,
    projectorCache: !values['no-projector-cache'],
    warmUsers: quick ? 2_000 : 12_000,
    posts: quick ? 40 : 200,
    fanoutPosts: quick ? 10 : 30,
    fanoutLists: quick ? 2_000 : 10_000,
    fanoutEntries: quick ? 100 : 200,
    fanoutRounds: quick ? 3 : 5,
    readSeconds: num(values['read-seconds'], 'CHIRP_BENCH_READ_SECONDS', quick ? 3 : 10),
    readWarmupSeconds: quick ? 1 : 3,
    connections: 50,
    lagRate: num(values.rate, 'CHIRP_BENCH_RATE', 200),
    lagSeconds: num(values['lag-seconds'], 'CHIRP_BENCH_LAG_SECONDS', quick ? 5 : 20),
    lagPollMs: 50,
    databaseUrl: env.CHIRP_BENCH_DATABASE_URL || undefined,
    redisUrl: env.CHIRP_BENCH_REDIS_URL || undefined,
    writeDoc: !values['no-doc'],
    fixture: !values['no-fixture'],
    profileDir: values.profile,
  };
}
