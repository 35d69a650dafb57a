import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { hashPassword } from '@chirp/command-api/passwords';
import { createSqlEventStore, openPgExecutor } from '@chirp/event-store';
import { createTokenService } from '@chirp/http-kit';
import { createRedisTimelineCache } from '@chirp/timeline-cache';
import { waitForCatchUp } from './catch-up.ts';
import { generate } from './generate-graph.ts';
import { buildGraph, defaultGraphOptions, describeGraph, followersOf } from './graph-model.ts';
import { callOk, closeClient } from './http-client.ts';
import { fixtureDataDir, fixtureKey, hasFixture, markFixtureComplete, pruneFixtures } from './fixture.ts';
import { cleanUp, freshDatabase, onCleanup, startPostgres, startRedis } from './infra.ts';
import { measureDeliveryLag } from './measure-delivery-lag.ts';
import { measureFanout } from './measure-fanout.ts';
import { measurePostLatency } from './measure-post-latency.ts';
import { measureReads } from './measure-reads.ts';
import { parseOptions } from './options.ts';
import { buildRows, formatTable, updateDoc, writeResults, type Paths, type Results } from './report.ts';
import { repoRoot, spawnTs, startSystem } from './system.ts';
import { cachedReader, detectCapabilities } from './timeline-wiring.ts';
import { warmDirect, warmTimelines } from './warm.ts';

/**
 * `npm run bench:timeline`: builds a Zipf-distributed social graph as events, starts the system
 * on it, and measures post latency, fan-out throughput, timeline reads and delivery lag, each
 * next to a baseline from the same run (see docs/performance.md).
 */
const started = Date.now();
const o = parseOptions(process.argv.slice(2));
const step = (what: string) => console.error(`\n▶ ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

try {
  const meta: Record<string, unknown> = {
    startedAt: new Date(started).toISOString(),
    mode: o.quick ? 'quick' : 'full',
    nproc: cpus().length,
    node: process.version,
    loadAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
    git: gitState(),
    options: o,
  };
  const caps = await detectCapabilities();
  meta.capabilities = caps;
  console.error(`timeline capabilities: ${JSON.stringify(caps)}`);

  const graphOptions = { ...defaultGraphOptions(o.users), celebrityThreshold: o.celebrityThreshold };
  const computedKey = o.fixture && !o.databaseUrl ? fixtureKey(repoRoot, { graphOptions, appendPath: o.appendPath }) : null;
  // CHIRP_BENCH_FIXTURE=<key> forces a saved database made by other code (recorded in the results).
  const forced = o.fixture && !o.databaseUrl && process.env.CHIRP_BENCH_FIXTURE ? process.env.CHIRP_BENCH_FIXTURE : null;
  const key = forced ?? computedKey;
  const reuse = key !== null && hasFixture(key);
  meta.fixture = key ? { key, reused: reuse, forcedOverKey: forced && forced !== computedKey ? computedKey : null } : null;

  step(reuse ? `starting PostgreSQL on a copy of the saved database ${key} and Redis` : 'starting PostgreSQL and Redis');
  const pg = o.databaseUrl ? null : await startPostgres(reuse ? fixtureDataDir(key!) : undefined);
  const databaseUrl = pg ? pg.url : await freshDatabase(o.databaseUrl!);
  const redisUrl = o.redisUrl ?? (await startRedis());
  const redis = new Redis(redisUrl);
  onCleanup(() => void redis.disconnect());
  let executor = await openPgExecutor(databaseUrl, { maxConnections: 8 });
  let store = await createSqlEventStore(executor);
  onCleanup(async () => {
    await store.close();
    await executor.close();
  });

  step(`building a ${o.users.toLocaleString('en-US')}-user graph`);
  const graph = buildGraph(graphOptions);
  const shape = describeGraph(graph);
  console.error(shape);
  Object.assign(meta, { users: shape.users, follows: shape.follows, tweets: shape.tweets, graph: shape });

  const passwordHash = await hashPassword(randomBytes(12).toString('hex'));
  if (!reuse) {
    step(`writing the graph as events (${o.appendPath} append path)`);
    const generated = await generate(executor, graph, { batch: o.appendPath === 'bulk' ? 2_000 : 500, workers: 3, passwordHash, appendPath: o.appendPath });
    meta.generateSeconds = Math.round(generated.seconds);
    meta.appendsPerSecond = Math.round(generated.appends / generated.seconds);
  }

  step('starting the system (projectors, command API, query API) and catching up');
  const jwtSecret = randomBytes(32).toString('hex');
  const systemOptions = {
    databaseUrl,
    redisUrl,
    jwtSecret,
    celebrityThreshold: o.celebrityThreshold,
    timelineMax: o.timelineMax,
    projectorCache: o.projectorCache && caps.hybridProjection,
    platformRedisKey: caps.platformRedisKey,
    ...(o.profileDir ? { profileDir: o.profileDir } : {}),
  };
  // Read before the projectors run (see waitForCatchUp); nothing else appends meanwhile.
  const generatedHead = await store.headPosition();
  let system = await startSystem(systemOptions);
  onCleanup(() => system.stop());
  console.error(`projectors: ${JSON.stringify(system.projectorInfo)}; command API ${system.commandUrl}; query API ${system.queryUrl}`);
  const caughtUp = await waitForCatchUp(executor, store, generatedHead, system.projectorInfo.projections, 60 * 60_000);
  meta.catchUpSeconds = Math.round(caughtUp.seconds);
  meta.catchUpEventsPerSecond = Math.round(caughtUp.events / caughtUp.seconds);
  meta.catchUpSecondsByProjection = caughtUp.perProjection;

  if (key && !reuse && pg) {
    step(`saving the caught-up database as fixture ${key} (the next run with this graph and code starts here)`);
    await system.stop();
    await store.close();
    await executor.close();
    pruneFixtures(key);
    await pg.snapshotTo(fixtureDataDir(key));
    markFixtureComplete(key, { graph: shape, savedAt: new Date().toISOString() });
    executor = await openPgExecutor(databaseUrl, { maxConnections: 8 });
    store = await createSqlEventStore(executor);
    system = await startSystem(systemOptions);
    await waitForCatchUp(executor, store, generatedHead, system.projectorInfo.projections, 60_000);
  }

  const tokens = createTokenService(jwtSecret, 86_400);
  const tokenOf = (i: number) => tokens.issue({ userId: graph.users[i]!.userId, handle: graph.users[i]!.handle, roles: [] });

  // Does a read through the query API use the cache? Read one never-cached timeline and look.
  const probe = graph.lagObservers[0]!;
  await callOk('GET', `${system.queryUrl}/v1/timeline?limit=20`, { authorization: `Bearer ${await tokenOf(probe)}` });
  // The list's key is `chirp:tl:h:{<list id>}`; the list id embeds the user id (the projection may prefix it).
  const readPathCached = (await scanKeys(redis, `chirp:tl:h:{*${graph.users[probe]!.userId}}`)).length > 0;
  const projectorHybrid = system.projectorInfo.hybrid;
  meta.readPathCached = readPathCached;
  meta.projectorHybrid = projectorHybrid;
  meta.timeline = readPathCached
    ? 'hybrid fan-out on Redis with celebrity pull (real), projector and query API'
    : projectorHybrid
      ? 'hybrid projection fanning out to Redis (real write path); query API still reads SQL fan-out on read (stand-in read path)'
      : 'stand-in: SQL-only projection and SQL fan-out on read (the hybrid timeline is not in the code yet)';
  console.error(`home timeline under test: ${meta.timeline}`);

  // Active users: the readers, observers, and followers of the measured authors, up to a cap.
  const warm = new Set<number>([graph.plainReader, graph.celebrityReader, ...graph.lagObservers]);
  for (const author of [graph.ordinaryAuthor, ...graph.lagAuthors]) {
    for (const f of followersOf(graph, author)) {
      if (warm.size >= o.warmUsers) break;
      warm.add(f);
    }
  }
  const reader = await cachedReader();
  if (readPathCached) {
    step(`warming ${warm.size} timelines through the query API`);
    const warmTokens = await Promise.all([...warm].map(tokenOf));
    meta.warmSeconds = await warmTimelines(system.queryUrl, warmTokens, 16);
  } else if (projectorHybrid && reader) {
    step(`warming ${warm.size} timelines with the cached reader directly (the query API does not use the cache)`);
    const cache = await createRedisTimelineCache(redis, { maxEntries: o.timelineMax });
    meta.warmSeconds = await warmDirect((userId) => reader({ db: executor, cache }, userId, { limit: 20 }), [...warm].map((i) => graph.users[i]!.userId), 8);
  } else {
    console.error('no timeline cache in use: nothing to warm');
  }
  meta.warmedTimelines = readPathCached || (projectorHybrid && reader) ? warm.size : 0;

  // The plain reader's real response: the baselines serve a body of this size.
  const plainToken = await tokenOf(graph.plainReader);
  const celebToken = await tokenOf(graph.celebrityReader);
  const plainBody = (await callOk('GET', `${system.queryUrl}/v1/timeline?limit=20`, { authorization: `Bearer ${plainToken}` })).body;
  const celebBody = (await callOk('GET', `${system.queryUrl}/v1/timeline?limit=20`, { authorization: `Bearer ${celebToken}` })).body;
  meta.responseBytes = { plain: Buffer.byteLength(plainBody), celebrity: Buffer.byteLength(celebBody) };
  const baselineProc = spawnTs(join(repoRoot, 'bench', 'timeline', 'baseline-server.ts'), [], { ...process.env, NODE_ENV: 'production', BENCH_BODY: plainBody }, 'baselines');
  const ports = await new Promise<{ expressPort: number; barePort: number }>((resolve, reject) => {
    baselineProc.child.stdout!.on('data', () => {
      const line = baselineProc.output().split('\n').find((l) => l.startsWith('{"expressPort"'));
      if (line) resolve(JSON.parse(line));
    });
    baselineProc.child.once('exit', () => reject(new Error(`baseline server exited:\n${baselineProc.output()}`)));
  });
  const expressUrl = `http://127.0.0.1:${ports.expressPort}`;

  const results: Omit<Results, 'rows'> = { meta };

  step('1. post latency and fan-out time per post');
  results.postLatency = await measurePostLatency({
    commandUrl: system.commandUrl,
    baselineUrl: expressUrl,
    ordinaryToken: await tokenOf(graph.ordinaryAuthor),
    celebrityToken: await tokenOf(graph.celebrityAuthor),
    posts: o.posts,
    fanoutPosts: o.fanoutPosts,
    cachedFollowers: meta.warmedTimelines ? followersOf(graph, graph.ordinaryAuthor).filter((f) => warm.has(f)).length : 0,
    db: executor,
    projection: 'home-timeline',
  });
  console.error(results.postLatency);

  step('2. fan-out throughput: TimelineCache.offer vs raw pipelined ZADD');
  results.fanout = await measureFanout({ redis, lists: o.fanoutLists, entries: o.fanoutEntries, rounds: o.fanoutRounds, chunkSize: 1000, concurrency: 4 });
  console.error(results.fanout);

  step('3. home-timeline reads at 50 connections (autocannon)');
  results.reads = await measureReads(
    [
      { name: 'node:http', url: `http://127.0.0.1:${ports.barePort}/` },
      { name: 'express hello-world', url: `${expressUrl}/` },
      { name: 'timeline, follower of no celebrity', url: `${system.queryUrl}/v1/timeline?limit=20`, headers: { authorization: `Bearer ${plainToken}` } },
      { name: 'timeline, follower of three celebrities', url: `${system.queryUrl}/v1/timeline?limit=20`, headers: { authorization: `Bearer ${celebToken}` } },
    ],
    { connections: o.connections, seconds: o.readSeconds, warmupSeconds: o.readWarmupSeconds },
  );
  await baselineProc.stop();

  step(`4. delivery lag at ${o.lagRate} posts/s for ${o.lagSeconds} s`);
  results.deliveryLag = await measureDeliveryLag({
    commandUrl: system.commandUrl,
    queryUrl: system.queryUrl,
    authorTokens: await Promise.all(graph.lagAuthors.map(tokenOf)),
    observerTokens: await Promise.all(graph.lagObservers.map(tokenOf)),
    rate: o.lagRate,
    seconds: o.lagSeconds,
    pollMs: o.lagPollMs,
    pageLimit: 100,
    settleMs: 10_000,
    maxInFlight: 64,
    checkpoints: async () => {
      const { rows } = await executor.query<{ name: string; position: string }>(`SELECT name, position::text AS position FROM projection_checkpoints`);
      return Object.fromEntries(rows.map((r) => [r.name, Number(r.position)]));
    },
  });
  console.error(results.deliveryLag);

  const fanoutPath = projectorHybrid ? 'hybrid projection → Redis (real)' : 'SQL-only projection (stand-in: no fan-out)';
  const readPath = readPathCached ? 'hybrid: Redis + celebrity merge (real)' : 'stand-in: SQL fan-out on read';
  const paths: Paths = {
    posts: `command API; fan-out: ${fanoutPath}`,
    fanout: 'timeline-cache Redis adapter (real)',
    reads: readPath,
    delivery: `${fanoutPath}; reads: ${readPath}`,
  };
  meta.finishedAt = new Date().toISOString();
  meta.totalSeconds = Math.round((Date.now() - started) / 1000);
  meta.loadAtEnd = loadavg().map((l) => l.toFixed(2)).join(' ');
  const rows = buildRows(results, { ordinary: graph.followerCount[graph.ordinaryAuthor]!, celebrity: graph.followerCount[graph.celebrityAuthor]! }, paths);
  const full: Results = { ...results, rows };
  const written = writeResults(join(repoRoot, 'bench', 'results'), full);
  if (o.writeDoc) updateDoc(join(repoRoot, 'docs', 'performance.md'), full);
  console.log(`\n${formatTable(rows)}\n`);
  console.log(`home timeline: ${meta.timeline}`);
  console.log(`results: ${written.file}${o.writeDoc ? ' and docs/performance.md' : ''} · total ${meta.totalSeconds} s`);
} catch (error) {
  console.error(`\nbenchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  closeClient();
  await cleanUp();
}
process.exit(process.exitCode ?? 0);

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

function gitState(): Record<string, unknown> {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'projectors', 'query-api', 'platform', 'timeline-cache', 'event-store', 'command-api'], { cwd: repoRoot, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    return { commit, uncommittedFilesUnderTest: dirty };
  } catch {
    return {};
  }
}
