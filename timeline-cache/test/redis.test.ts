import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { compactUuid } from '../src/compact-uuid.ts';
import { listKey, type ListRef, type TimelineCacheOptions } from '../src/port.ts';
import { createRedisTimelineCache } from '../src/redis-timeline-cache.ts';
import { describeTimelineCacheContract } from './contract.ts';

// One connection for the file; every cache gets its own key prefix on the shared server.
let redis: Redis;
const filePrefix = `test:redis-contract:${randomBytes(4).toString('hex')}:`;
beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  await redis?.quit();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let caches = 0;
const openCache = (options: TimelineCacheOptions = {}) => {
  const keyPrefix = `${filePrefix}${caches++}:`;
  return createRedisTimelineCache(redis, { ...options, keyPrefix }).then((cache) => ({ cache, keyPrefix }));
};

describeTimelineCacheContract('Redis', async (options) => {
  const { cache } = await openCache(options);
  return { cache, advance: sleep, cleanup: () => cache.clear() };
});

describe('Redis specifics', () => {
  const home = (id: string): ListRef => ({ kind: 'home', id });
  const keysOf = (prefix: string, id: string) => [`${prefix}tl:h:{${id}}`, `${prefix}tl:h:{${id}}:m`] as const;

  test('one zset and one hash per list; members are 22-character compact ids (+ \'!\' for a retweet); both keys carry the TTL', async () => {
    const { cache, keyPrefix } = await openCache({ ttlSeconds: 100 });
    const entry = { tweetId: randomUUID(), position: 5, retweetedBy: randomUUID() };
    await cache.store(home('u'), [entry], { complete: true, pulls: ['p'] });
    const [z, h] = keysOf(keyPrefix, 'u');
    expect((await redis.keys(`${keyPrefix}*`)).sort()).toEqual([z, h].sort());
    expect(await redis.zrange(z, '0', '-1', 'WITHSCORES')).toEqual(['.', '-1', `${compactUuid(entry.tweetId)}!`, '5', '~', 'inf']);
    expect(await redis.hgetall(h)).toEqual({ '~': '["p"]', [compactUuid(entry.tweetId)]: compactUuid(entry.retweetedBy) });
    for (const key of [z, h]) expect(await redis.pttl(key)).toBeGreaterThan(99_000);
    await cache.clear();
  });

  test('a read refreshes the TTL only when 1% of it has passed since this process last set it', async () => {
    const { cache, keyPrefix } = await openCache({ ttlSeconds: 1 });
    await cache.store(home('u'), [], { complete: true });
    const [z, h] = keysOf(keyPrefix, 'u');
    for (const key of [z, h]) await redis.pexpire(key, 500);
    await cache.read(home('u'), { limit: 1 }); // within 10 ms of the store: left alone
    for (const key of [z, h]) expect(await redis.pttl(key)).toBeLessThanOrEqual(500);
    await sleep(20);
    await cache.read(home('u'), { limit: 1 });
    for (const key of [z, h]) expect(await redis.pttl(key)).toBeGreaterThan(900);
    await cache.clear();
  });

  test('trimming and replacing never leave retweet attribution behind', async () => {
    const { cache, keyPrefix } = await openCache({ maxEntries: 3 });
    await cache.store(home('u'), [], { complete: true });
    const ids = Array.from({ length: 6 }, () => randomUUID());
    for (let i = 0; i < 10; i++) {
      await cache.offer([home('u')], { tweetId: ids[i % 6]!, position: 100 + i, retweetedBy: i % 3 ? randomUUID() : null });
    }
    const [z, h] = keysOf(keyPrefix, 'u');
    const members = (await redis.zrange(z, '0', '-1')).filter((m) => m !== '~' && m !== '.');
    expect(members).toHaveLength(3);
    const retweets = members.filter((m) => m.endsWith('!')).map((m) => m.slice(0, -1));
    expect(retweets.length).toBeGreaterThan(0);
    expect((await redis.hkeys(h)).filter((f) => f !== '~').sort()).toEqual(retweets.sort());
    await cache.clear();
  });

  test('a half-evicted list (one key gone) reads as missing, is cleaned up, and takes no offers', async () => {
    const { cache, keyPrefix } = await openCache();
    await cache.store(home('a'), [], { complete: true });
    await cache.store(home('b'), [], { complete: true });
    const [za, ha] = keysOf(keyPrefix, 'a');
    const [zb] = keysOf(keyPrefix, 'b');
    await redis.del(ha);
    expect(await cache.offer([home('a')], { tweetId: randomUUID(), position: 1, retweetedBy: randomUUID() })).toBe(0);
    expect(await redis.exists(ha)).toBe(0); // no hash without a TTL was created
    expect(await cache.read(home('a'), { limit: 5 })).toBeNull();
    expect(await redis.exists(za)).toBe(0);
    await redis.del(zb);
    expect(await cache.read(home('b'), { limit: 5 })).toBeNull();
    expect(await redis.keys(`${keyPrefix}*`)).toEqual([]);
  });

  test('after any sequence of writes, hash fields are exactly the retweet members, and every key has a TTL', async () => {
    const { cache, keyPrefix } = await openCache({ maxEntries: 3 });
    const lists = [home('a'), home('b')];
    const tweets = Array.from({ length: 5 }, () => randomUUID());
    const users = [randomUUID(), randomUUID()];
    const entryArb = fc.record({
      tweetId: fc.constantFrom(...tweets),
      position: fc.integer({ min: 1, max: 40 }),
      retweetedBy: fc.option(fc.constantFrom(...users)),
    });
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('offer' as const), entry: entryArb }),
      // A new post or retweet in position order (newest: true), trimmed later by ZPOPMIN.
      fc.record({ op: fc.constant('offerNewest' as const), retweetedBy: fc.option(fc.constantFrom(...users)) }),
      fc.record({ op: fc.constant('store' as const), entries: fc.array(entryArb, { maxLength: 5 }), complete: fc.boolean() }),
      fc.record({
        op: fc.constant('withdraw' as const),
        entry: entryArb,
        only: fc.option(fc.constantFrom(...users), { nil: undefined }),
        replace: fc.boolean(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), async (ops) => {
        await cache.clear();
        for (const list of lists) await cache.store(list, [], { complete: true });
        let newest = 1000;
        for (const op of ops) {
          // Positions are unique per event: derive them from the entry so one position is one entry.
          if (op.op === 'offer') await cache.offer(lists, op.entry);
          else if (op.op === 'offerNewest') {
            await cache.offer(lists, { tweetId: randomUUID(), position: newest++, retweetedBy: op.retweetedBy }, { newest: true });
          }
          else if (op.op === 'store') {
            const seen = new Set<number>();
            const entries = op.entries.filter((e) => !seen.has(e.position) && seen.add(e.position));
            await cache.store(lists[0]!, entries, { complete: op.complete });
          } else {
            const replacements = op.replace ? new Map(lists.map((l) => [listKey(l), op.entry])) : undefined;
            await cache.withdraw(lists, op.entry.tweetId, { onlyRetweetedBy: op.only, replacements });
          }
          for (const list of lists) {
            const [z, h] = keysOf(keyPrefix, list.id);
            const retweets = (await redis.zrange(z, '0', '-1')).filter((m) => m.endsWith('!')).map((m) => m.slice(0, -1));
            expect((await redis.hkeys(h)).filter((f) => f !== '~').sort()).toEqual(retweets.sort());
            expect(await redis.pttl(z)).toBeGreaterThan(0);
            expect(await redis.pttl(h)).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 60 },
    );
    await cache.clear();
  });

  test('scripts are reloaded after SCRIPT FLUSH', async () => {
    const { cache } = await openCache();
    await cache.store(home('u'), [], { complete: true });
    await redis.script('FLUSH');
    const entry = { tweetId: randomUUID(), position: 1, retweetedBy: null };
    expect(await cache.offer([home('u')], entry)).toBe(1);
    expect((await cache.read(home('u'), { limit: 5 }))?.entries).toEqual([entry]);
    await cache.clear();
  });

  test('clear deletes only its own prefix', async () => {
    const first = await openCache();
    const second = await openCache();
    await first.cache.store(home('u'), [], { complete: true });
    await second.cache.store(home('u'), [], { complete: true });
    await first.cache.clear();
    expect(await first.cache.read(home('u'), { limit: 1 })).toBeNull();
    expect(await second.cache.read(home('u'), { limit: 1 })).not.toBeNull();
    await second.cache.clear();
  });
});
