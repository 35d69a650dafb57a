import type { Redis } from 'ioredis';
import { mapChunks } from './chunks.ts';
import { compactUuid, expandUuid } from './compact-uuid.ts';
import {
  listKey,
  type ListPage,
  type ListRef,
  type OfferOptions,
  type ReadOptions,
  type StoreOptions,
  type TimelineCache,
  type TimelineCacheOptions,
  type TimelineEntry,
  type WithdrawOptions,
} from './port.ts';
import { LuaScript, OFFER, OFFER_NEWEST, READ, WITHDRAW } from './redis-scripts.ts';
import {
  assertEntry,
  assertListRef,
  assertReadOptions,
  assertWithdraw,
  normaliseStore,
  resolveOptions,
  uniqueLists,
} from './validate.ts';

export interface RedisTimelineCacheOptions extends TimelineCacheOptions {
  /** Prefix of every key of this cache; default 'chirp:'. `clear()` deletes `<prefix>tl:*`. */
  readonly keyPrefix?: string;
}

/** Lists whose last TTL refresh a process remembers (beyond it, a read refreshes again: harmless). */
const MAX_REMEMBERED_REFRESHES = 100_000;
const HEADER = '~';
const SENTINEL = '.';
/** Suffix of a retweet entry's member; its retweeter is the hash field named by the tweet. */
const RETWEET = '!';

const offerScript = new LuaScript(OFFER);
const offerNewestScript = new LuaScript(OFFER_NEWEST);
const withdrawScript = new LuaScript(WITHDRAW);
const readScript = new LuaScript(READ);

/**
 * The timeline cache on Redis (≥ 6.2, for ZMSCORE). The caller owns the connection. Key layout
 * and the sentinel trick are described in redis-scripts.ts. offer/withdraw send ONE EVALSHA per
 * chunk of lists (measured ~2x faster than a pipeline of one EVALSHA per list: timeline-cache/README.md);
 * store is one MULTI; read/readMany one EVALSHA.
 */
export async function createRedisTimelineCache(
  redis: Redis,
  options: RedisTimelineCacheOptions = {},
): Promise<TimelineCache> {
  const { maxEntries, ttlSeconds, chunkSize, concurrency } = resolveOptions(options);
  const prefix = options.keyPrefix ?? 'chirp:';
  const ttlMs = ttlSeconds * 1000;
  // When this process last set each list's TTL (its store, or a read that refreshed it). A read
  // skips the refresh (two PEXPIREs of its script) while more than 99% of the TTL is left, the SQL
  // adapter's rule: an active reader's every read would otherwise rewrite the TTL. Another
  // process's store only makes a list's TTL later than remembered here, never earlier.
  const refreshSlackMs = Math.floor(ttlMs / 100);
  const refreshedAt = new Map<string, number>();
  const noteRefresh = (z: string, at: number) => {
    refreshedAt.delete(z);
    if (refreshedAt.size >= MAX_REMEMBERED_REFRESHES) refreshedAt.delete(refreshedAt.keys().next().value!);
    refreshedAt.set(z, at);
  };
  for (const script of [offerScript, offerNewestScript, withdrawScript, readScript]) await script.load(redis);

  // {id} is a Redis Cluster hash tag: a list's zset and hash land in one slot.
  const zsetKey = (list: ListRef) => `${prefix}tl:${list.kind === 'home' ? 'h' : 'a'}:{${list.id}}`;
  const keysOf = (list: ListRef): [string, string] => {
    const z = zsetKey(list);
    return [z, `${z}:m`];
  };
  const compactOrEmpty = (uuid: string | null | undefined) => (uuid ? compactUuid(uuid) : '');

  return {
    maxEntries,
    ttlSeconds,

    async offer(lists, entry, offerOptions?: OfferOptions) {
      assertEntry(entry);
      const targets = uniqueLists(lists);
      const args = [compactUuid(entry.tweetId), String(entry.position), compactOrEmpty(entry.retweetedBy), maxEntries];
      const script = offerOptions?.newest ? offerNewestScript : offerScript;
      const counts = await mapChunks(targets, chunkSize, concurrency, async (chunk) =>
        Number(await script.run(redis, chunk.flatMap(keysOf), args)),
      );
      return counts.reduce((a, b) => a + b, 0);
    },

    async withdraw(lists, tweetId, withdrawOptions?: WithdrawOptions) {
      assertWithdraw(tweetId, withdrawOptions);
      const targets = uniqueLists(lists);
      const head = [compactUuid(tweetId), compactOrEmpty(withdrawOptions?.onlyRetweetedBy)];
      const counts = await mapChunks(targets, chunkSize, concurrency, async (chunk) => {
        const perList = chunk.flatMap((list) => {
          const replacement = withdrawOptions?.replacements?.get(listKey(list));
          return replacement ? [String(replacement.position), compactOrEmpty(replacement.retweetedBy)] : ['', ''];
        });
        return Number(await withdrawScript.run(redis, chunk.flatMap(keysOf), [...head, ...perList]));
      });
      return counts.reduce((a, b) => a + b, 0);
    },

    async store(list, entries, storeOptions: StoreOptions) {
      assertListRef(list);
      const normalised = normaliseStore(entries, storeOptions, maxEntries);
      const [z, h] = keysOf(list);
      const members: (string | number)[] = ['+inf', HEADER];
      if (normalised.complete) members.push(-1, SENTINEL);
      const fields: string[] = [HEADER, JSON.stringify(normalised.pulls)];
      for (const entry of normalised.entries) {
        const tweet = compactUuid(entry.tweetId);
        if (entry.retweetedBy) {
          members.push(entry.position, `${tweet}${RETWEET}`);
          fields.push(tweet, compactUuid(entry.retweetedBy));
        } else {
          members.push(entry.position, tweet);
        }
      }
      // MULTI: readers and fan-out never see a half-written list.
      const results = await redis
        .multi()
        .del(z, h)
        .zadd(z, ...members)
        .hset(h, ...fields)
        .pexpire(z, ttlMs)
        .pexpire(h, ttlMs)
        .exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('store transaction was discarded');
      noteRefresh(z, Date.now());
    },

    async drop(lists) {
      const targets = uniqueLists(lists);
      await mapChunks(targets, chunkSize, concurrency, (chunk) => redis.unlink(...chunk.flatMap(keysOf)));
    },

    async read(list, readOptions) {
      const [page] = await readLists([list], readOptions);
      return page ?? null;
    },

    readMany(lists, readOptions) {
      return readLists(lists, readOptions);
    },

    async clear() {
      const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}tl:*`;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    },
  };

  async function readLists(lists: readonly ListRef[], readOptions: ReadOptions): Promise<(ListPage | null)[]> {
    assertReadOptions(readOptions);
    lists.forEach(assertListRef);
    if (lists.length === 0) return [];
    const max = readOptions.before === undefined ? '(+inf' : `(${readOptions.before}`;
    const at = Date.now();
    const zsets = lists.map(zsetKey);
    const refresh = zsets.map((z) => (at - (refreshedAt.get(z) ?? Number.NEGATIVE_INFINITY) > refreshSlackMs ? '1' : '0'));
    const reply = await readScript.run(redis, lists.flatMap(keysOf), [ttlMs, max, readOptions.limit + 1, ...refresh]);
    if (!Array.isArray(reply) || reply.length !== lists.length) throw new Error('unexpected reply from the read script');
    return reply.map((item, i) => {
      if (item === 0) {
        refreshedAt.delete(zsets[i]!);
        return null;
      }
      if (refresh[i] === '1') noteRefresh(zsets[i]!, at);
      return decodePage(item, readOptions.limit);
    });
  }
}

/** Turns the read script's "m1 s1 m2 s2 …\nr1 r2 …\npulls JSON" into a page. */
function decodePage(item: unknown, limit: number): ListPage {
  if (typeof item !== 'string') throw new Error('unexpected list reply from the read script');
  const firstBreak = item.indexOf('\n');
  const secondBreak = item.indexOf('\n', firstBreak + 1);
  if (firstBreak < 0 || secondBreak < 0) throw new Error('unexpected list reply from the read script');
  const items = firstBreak === 0 ? [] : item.slice(0, firstBreak).split(' ');
  const retweeters = secondBreak === firstBreak + 1 ? [] : item.slice(firstBreak + 1, secondBreak).split(' ');
  const pullsJson = item.slice(secondBreak + 1);
  const entries: TimelineEntry[] = [];
  let reachedEnd = false;
  let retweet = 0;
  for (let k = 0; k < items.length; k += 2) {
    const member = items[k]!;
    if (member === SENTINEL) {
      // Fetched limit + 1 items: the sentinel among them means nothing older remains.
      reachedEnd = true;
      break;
    }
    if (entries.length === limit) break;
    const isRetweet = member.endsWith(RETWEET);
    const retweeter = isRetweet ? retweeters[retweet++] : null;
    if (isRetweet && !retweeter) throw new Error(`retweet entry ${member} has no retweeter`);
    entries.push({
      tweetId: expandUuid(isRetweet ? member.slice(0, -1) : member),
      position: Number(items[k + 1]),
      retweetedBy: retweeter ? expandUuid(retweeter) : null,
    });
  }
  const pulls: unknown = JSON.parse(pullsJson);
  if (!Array.isArray(pulls) || !pulls.every((p) => typeof p === 'string')) throw new Error('corrupt pulls field');
  return { entries, reachedEnd, pulls };
}
