import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisTimelineCache, type ListRef, type TimelineCache } from '@chirp/timeline-cache';
import { median, round } from './stats.ts';

/**
 * 2. Fan-out throughput in timeline inserts/s: `TimelineCache.offer` of one new entry to N cached
 * home lists, as the projection offers a post delivered in position order (`newest: true`), with
 * the lists already full at the cap, so every insert also trims — the steady state of an active
 * user's timeline — against a raw ioredis loop of pipelined `ZADD`s of one member to N
 * keys, 1,000 commands per pipeline, with the same number of pipelines in flight as the adapter
 * has chunks in flight (and, for reference, one). Rounds alternate, medians are reported.
 * Runs on its own key prefix of the benchmark's Redis.
 */

export interface FanoutOptions {
  redis: Redis;
  lists: number;
  /** Entries per list, also the cap (lists are full). */
  entries: number;
  rounds: number;
  chunkSize: number;
  concurrency: number;
}

export interface FanoutResult {
  lists: number;
  entriesPerList: number;
  offerInsertsPerSecond: number;
  rawInsertsPerSecond: number;
  rawSingleInsertsPerSecond: number;
  ratio: number;
  rounds: { offer: number[]; raw: number[]; rawSingle: number[] };
}

const PREFIX = 'benchfan:';

export async function measureFanout(o: FanoutOptions): Promise<FanoutResult> {
  const cache = await createRedisTimelineCache(o.redis, { keyPrefix: PREFIX, maxEntries: o.entries, chunkSize: o.chunkSize, concurrency: o.concurrency });
  await cache.clear();
  const lists: ListRef[] = Array.from({ length: o.lists }, (_, i) => ({ kind: 'home', id: `fan-${i}` }));
  let position = 1;
  const filler = Array.from({ length: o.entries }, () => ({ tweetId: randomUUID(), position: position++, retweetedBy: null }));
  for (let i = 0; i < lists.length; i += 50) await Promise.all(lists.slice(i, i + 50).map((l) => cache.store(l, filler, { complete: false })));
  const rawKeys = lists.map((_, i) => `${PREFIX}raw:{${i}}`);
  for (let i = 0; i < rawKeys.length; i += 1000) {
    const p = o.redis.pipeline();
    for (const key of rawKeys.slice(i, i + 1000)) p.zadd(key, ...filler.flatMap((e) => [e.position, e.tweetId]));
    await p.exec();
  }

  const offer = async () => {
    const entry = { tweetId: randomUUID(), position: position++, retweetedBy: null };
    const started = performance.now();
    const held = await cache.offer(lists, entry, { newest: true });
    if (held !== lists.length) throw new Error(`offer reached ${held} of ${lists.length} lists`);
    return lists.length / ((performance.now() - started) / 1000);
  };
  const raw = async (inFlight: number) => {
    const member = randomUUID();
    const score = position++;
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < rawKeys.length) {
        const keys = rawKeys.slice(next, next + o.chunkSize);
        next += keys.length;
        const p = o.redis.pipeline();
        for (const key of keys) p.zadd(key, score, member);
        await p.exec();
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return rawKeys.length / ((performance.now() - started) / 1000);
  };

  await offer();
  await raw(o.concurrency);
  const rounds = { offer: [] as number[], raw: [] as number[], rawSingle: [] as number[] };
  for (let r = 0; r < o.rounds; r++) {
    rounds.offer.push(round(await offer(), 0));
    rounds.raw.push(round(await raw(o.concurrency), 0));
    rounds.rawSingle.push(round(await raw(1), 0));
  }
  await clearPrefix(o.redis, cache);
  const offerRate = median(rounds.offer);
  const rawRate = median(rounds.raw);
  return {
    lists: o.lists,
    entriesPerList: o.entries,
    offerInsertsPerSecond: offerRate,
    rawInsertsPerSecond: rawRate,
    rawSingleInsertsPerSecond: median(rounds.rawSingle),
    ratio: round(offerRate / rawRate, 3),
    rounds,
  };
}

async function clearPrefix(redis: Redis, cache: TimelineCache): Promise<void> {
  await cache.clear();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}raw:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
