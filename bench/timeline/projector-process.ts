import { Redis } from 'ioredis';
import { createSqlEventStore, openPgExecutor } from '@chirp/event-store';
import { startProjectors } from '@chirp/projectors/runtime';
import { createRedisTimelineCache } from '@chirp/timeline-cache';
import { projectionsFor } from './timeline-wiring.ts';

/**
 * The projectors of the system under test, in a process of their own (as `npm run
 * start:projectors` runs them), started with the projection runtime. With BENCH_PROJECTOR_CACHE=1
 * and the hybrid projection present, the home timeline fans out to Redis; otherwise it is the
 * SQL-only projection. BENCH_ONLY=a,b runs only those projections (`--only` of the platform's
 * entry point): the benchmark runs the heavy ones in processes of their own, as the distributed
 * topology allows, so they do not share one event loop. Prints one JSON line `{"ready":…}` when every runner has started.
 */
const env = process.env;
const databaseUrl = env.CHIRP_DATABASE_URL!;
const useCache = env.BENCH_PROJECTOR_CACHE === '1';
const threshold = Number(env.CHIRP_CELEBRITY_THRESHOLD ?? 10_000);
const maxEntries = Number(env.CHIRP_TIMELINE_MAX ?? 800);
const only = env.BENCH_ONLY ? env.BENCH_ONLY.split(',') : undefined;

const executor = await openPgExecutor(databaseUrl, { maxConnections: 8 });
const store = await createSqlEventStore(executor, { pollIntervalMs: 200 });
const redis = useCache ? new Redis(env.CHIRP_REDIS_URL!, { lazyConnect: false }) : null;
const cache = redis ? await createRedisTimelineCache(redis, { maxEntries }) : null;
const { projections, hybrid } = await projectionsFor(cache, threshold);
const host = await startProjectors(store, executor, projections, {
  ...(only ? { only } : {}),
  onError: (error, info) => console.error(`projector ${info.projection} failed (${info.kind}, position ${info.position}): ${error.message}`),
});
console.log(JSON.stringify({ ready: true, hybrid, projections: host.runners.map((r) => r.name) }));

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await host.stop();
  await store.close();
  await executor.close();
  redis?.disconnect();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
