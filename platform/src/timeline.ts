import { transactionBoundExecutor } from '@chirp/projectors';
import { createRedisTimelineCache, createSqlTimelineCache, type TimelineCache } from '@chirp/timeline-cache';
import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { Database } from './database.ts';

export interface TimelineCacheHandle {
  cache: TimelineCache;
  /** Where the cache lives, for the start-up banner (never includes a password). */
  description: string;
  close(): Promise<void>;
}

/**
 * The home timelines' cache (docs/timelines.md): Redis when CHIRP_REDIS_URL is set, otherwise SQL
 * tables on the database itself, whose writes join the projection's batch transaction.
 */
export async function openTimelineCache(config: Config, db: Database): Promise<TimelineCacheHandle> {
  const options = { maxEntries: config.CHIRP_TIMELINE_MAX, ttlSeconds: config.CHIRP_INACTIVE_DAYS * 86_400 };
  if (config.CHIRP_REDIS_URL) {
    const url = new URL(config.CHIRP_REDIS_URL);
    // Auto-pipelining: the commands of concurrent requests issued in one tick go out in one write
    // (one syscall, one Redis read) instead of one each.
    const redis = new Redis(config.CHIRP_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3, enableAutoPipelining: true });
    try {
      await redis.connect();
      const cache = await createRedisTimelineCache(redis, options);
      return { cache, description: `Redis ${url.hostname}:${url.port || 6379}`, close: async () => void (await redis.quit().catch(() => redis.disconnect())) };
    } catch (error) {
      redis.disconnect();
      throw error;
    }
  }
  const cache = await createSqlTimelineCache(transactionBoundExecutor(db.executor), options);
  return { cache, description: 'SQL tables on the database', close: async () => {} };
}
