import { randomBytes } from 'node:crypto';
import type { StoredEvent } from '@chirp/domain/envelope';
import type { SqlExecutor } from '@chirp/event-store';
import { createRedisTimelineCache, createSqlTimelineCache, type TimelineCache } from '@chirp/timeline-cache';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { Projection } from '../src/projection.ts';
import { createHomeTimelineProjection } from '../src/read-models/home-timeline/projection.ts';
import { readHomeTimeline, type HomeTimelineItem } from '../src/read-models/home-timeline/reader.ts';
import { transactionBoundExecutor } from '../src/read-models/home-timeline/transaction-scope.ts';
import { referenceHome } from './reference.ts';
import { applyInTransaction, History, openBackend, resetProjection, type Backend, type Engine } from './support.ts';

/** The cached home timeline under test: a SQL backend for the projection, and a cache. */
export type CacheKind = 'redis' | 'sql';
export interface TimelineSetup {
  label: string;
  engine: Engine;
  cacheKind: CacheKind;
}
export const setups: TimelineSetup[] = [
  { label: 'Redis cache, PGlite tables', engine: 'pglite', cacheKind: 'redis' },
  { label: 'SQL cache on PGlite', engine: 'pglite', cacheKind: 'sql' },
  { label: 'SQL cache on PostgreSQL', engine: 'postgres', cacheKind: 'sql' },
];

export interface TimelineRig {
  backend: Backend;
  cache: TimelineCache;
  projection: Projection;
  /** A fresh projection + cache of another configuration on the same backend (tables reset). */
  reconfigure(options: { maxEntries: number; celebrityThreshold: number; celebrityExitThreshold?: number }): Promise<void>;
  read(userId: string, limit: number, cursor?: string | null): ReturnType<typeof readHomeTimeline>;
  readAll(userId: string, pageSizes: readonly number[]): Promise<HomeTimelineItem[]>;
  close(): Promise<void>;
}

export async function openRig(setup: TimelineSetup, label: string): Promise<TimelineRig> {
  const backend = await openBackend(setup.engine, label);
  const redis = setup.cacheKind === 'redis' ? new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 }) : null;
  await redis?.connect();
  const filePrefix = `test:${label}:${randomBytes(4).toString('hex')}:`;
  // One cache per cap, reused (cleared) across reconfigurations.
  const caches = new Map<number, TimelineCache>();
  const makeCache = async (maxEntries: number): Promise<TimelineCache> => {
    let cache = caches.get(maxEntries);
    if (!cache) {
      cache = redis
        ? await createRedisTimelineCache(redis, { maxEntries, keyPrefix: `${filePrefix}${maxEntries}:` })
        : await createSqlTimelineCache(transactionBoundExecutor(backend.executor), { maxEntries, tablePrefix: `tl_test_${maxEntries}` });
      caches.set(maxEntries, cache);
    }
    await cache.clear();
    return cache;
  };
  const rig: TimelineRig = {
    backend,
    cache: null as unknown as TimelineCache,
    projection: null as unknown as Projection,
    async reconfigure(options) {
      rig.cache = await makeCache(options.maxEntries);
      rig.projection = createHomeTimelineProjection({
        cache: rig.cache,
        celebrityThreshold: options.celebrityThreshold,
        ...(options.celebrityExitThreshold !== undefined ? { celebrityExitThreshold: options.celebrityExitThreshold } : {}),
      });
      await resetProjection(backend.executor, rig.projection);
    },
    read: (userId, limit, cursor) => readHomeTimeline({ db: backend.executor, cache: rig.cache }, userId, { limit, cursor: cursor ?? null }),
    async readAll(userId, pageSizes) {
      const items: HomeTimelineItem[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 1000; page++) {
        const limit = pageSizes[page % pageSizes.length]!;
        const result = await rig.read(userId, limit, cursor);
        items.push(...result.items);
        if (result.nextCursor === null) return items;
        // Pages are full whenever older entries exist (and the cursor is null exactly at the end).
        if (result.items.length !== limit) throw new Error(`short page: ${result.items.length} of ${limit} with a cursor`);
        cursor = result.nextCursor;
      }
      throw new Error('pagination did not end');
    },
    async close() {
      await rig.cache?.clear().catch(() => {});
      await redis?.quit();
      await backend.close();
    },
  };
  return rig;
}

/**
 * Applies events as one batch transaction (what a runner's batch does: `applyBatch`; with
 * `oneByOne`, event by event through `apply`). With `crash`, the batch is applied and then rolled
 * back — its cache side effects (Redis) stay — before it is applied again: a crash between the
 * cache writes and the commit.
 */
export async function applyBatch(
  executor: SqlExecutor,
  projection: Projection,
  events: readonly StoredEvent[],
  crash = false,
  oneByOne = false,
): Promise<void> {
  const run = () =>
    executor.transaction(async (tx) => {
      await applyInTransaction(tx, projection, events, oneByOne);
      if (crash) throw new CrashBeforeCommit();
    });
  if (crash) {
    await run().catch((error: unknown) => {
      if (!(error instanceof CrashBeforeCommit)) throw error;
    });
    crash = false;
  }
  await run();
}

class CrashBeforeCommit extends Error {}

/** The oracle without `authorId` (the cached reader leaves it to hydration). */
export function expectedHome(events: readonly StoredEvent[], userId: string): HomeTimelineItem[] {
  return referenceHome(events, userId).map(({ authorId: _a, ...rest }) => rest);
}

/** Chirp's streams as the command side writes them today: follows in per-pair streams. */
export class PairHistory extends History {
  override follow(followerId: string, followeeId: string): StoredEvent {
    return this.append(`follow-${followerId}-${followeeId}`, { type: 'Followed', data: { followerId, followeeId } });
  }
  override unfollow(followerId: string, followeeId: string): StoredEvent {
    return this.append(`follow-${followerId}-${followeeId}`, { type: 'Unfollowed', data: { followerId, followeeId } });
  }
}
