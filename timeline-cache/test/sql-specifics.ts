import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '@chirp/event-store';
import { describe, expect, test } from 'vitest';
import type { ListRef, TimelineCacheOptions } from '../src/port.ts';
import { createSqlTimelineCache } from '../src/sql-timeline-cache.ts';
import type { CacheHarness } from './contract.ts';

/** A SQL cache on shared test tables with a fake clock: `advance` moves time without waiting. */
export async function fakeClockCache(executor: SqlExecutor, options: TimelineCacheOptions): Promise<CacheHarness> {
  let clock = 1_000_000;
  const cache = await createSqlTimelineCache(executor, { ...options, tablePrefix: 'tl_test', now: () => clock });
  await cache.clear();
  return {
    cache,
    advance: async (ms) => {
      clock += ms;
    },
    cleanup: () => cache.clear(),
  };
}

const home = (id: string): ListRef => ({ kind: 'home', id });

export function describeSqlSpecifics(engine: string, getExecutor: () => SqlExecutor): void {
  describe(`SQL adapter specifics on ${engine}`, () => {
    test('schema creation is idempotent; purgeExpired deletes expired lists with their entries, only those', async () => {
      const executor = getExecutor();
      let clock = 0;
      const options = { tablePrefix: 'tl_purge', ttlSeconds: 10, now: () => clock };
      await createSqlTimelineCache(executor, options);
      const cache = await createSqlTimelineCache(executor, options);
      await cache.store(home('old'), [{ tweetId: randomUUID(), position: 1, retweetedBy: null }], { complete: true });
      clock = 5_000;
      await cache.store(home('new'), [{ tweetId: randomUUID(), position: 2, retweetedBy: null }], { complete: true });
      clock = 12_000;
      expect(await cache.purgeExpired()).toBe(1);
      expect(await cache.purgeExpired()).toBe(0);
      const { rows } = await executor.query<{ list_id: string }>(`SELECT DISTINCT list_id FROM tl_purge_entries`);
      expect(rows).toEqual([{ list_id: 'new' }]);
      expect(await cache.read(home('new'), { limit: 5 })).not.toBeNull();
      await cache.clear();
    });

    test('a read refreshes the TTL only once less than 99% of it is left (active readers write nothing)', async () => {
      const executor = getExecutor();
      let clock = 0;
      const cache = await createSqlTimelineCache(executor, { tablePrefix: 'tl_touch', ttlSeconds: 100, now: () => clock });
      await cache.clear();
      const expiry = async () =>
        (await executor.query<{ expires_at: number }>(`SELECT expires_at FROM tl_touch_lists`)).rows[0]!.expires_at;
      await cache.store(home('u'), [], { complete: true });
      clock = 999;
      await cache.read(home('u'), { limit: 1 });
      expect(await expiry()).toBe(100_000);
      clock = 1_001;
      await cache.readMany([home('u'), home('u')], { limit: 1 });
      expect(await expiry()).toBe(101_001);
      await cache.clear();
    });

    test('concurrent offers, withdraws and reads on overlapping lists neither deadlock nor break the counts', async () => {
      const executor = getExecutor();
      const cache = await createSqlTimelineCache(executor, { tablePrefix: 'tl_race', maxEntries: 5, chunkSize: 40, concurrency: 4 });
      await cache.clear();
      const lists = Array.from({ length: 200 }, (_, i) => home(`r${i}`));
      for (const list of lists) await cache.store(list, [], { complete: true });
      const entries = Array.from({ length: 24 }, (_, i) => ({ tweetId: randomUUID(), position: 1000 + i, retweetedBy: null }));
      // Each writer gets the lists in a different order: locking in key order must still avoid deadlocks.
      const shuffled = (seed: number) => [...lists].sort((a, b) => ((a.id.length * seed + a.id.charCodeAt(1)) % 7) - ((b.id.length * seed + b.id.charCodeAt(1)) % 7));
      await Promise.all([
        ...entries.map((e, i) => cache.offer(shuffled(i), e)),
        ...entries.slice(0, 6).map((e) => cache.withdraw(lists, e.tweetId)),
        ...Array.from({ length: 10 }, () => cache.readMany(lists.slice(0, 20).reverse(), { limit: 10 })),
      ]);
      const { rows } = await executor.query<{ bad: number }>(
        `SELECT count(*)::int AS bad FROM tl_race_lists l
          WHERE entry_count <> (SELECT count(*) FROM tl_race_entries e WHERE e.list_kind = l.list_kind AND e.list_id = l.list_id)
             OR entry_count > 5`,
      );
      expect(rows[0]!.bad).toBe(0);
      await cache.clear();
    });
  });
}
