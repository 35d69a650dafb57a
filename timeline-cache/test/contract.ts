import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import {
  listKey,
  type ListRef,
  type TimelineCache,
  type TimelineCacheOptions,
  type TimelineEntry,
} from '../src/port.ts';
import { ReferenceCache } from './reference-model.ts';

export interface CacheHarness {
  cache: TimelineCache;
  /** Lets `ms` pass for the cache's expiry: a fake clock moves, or the test really waits. */
  advance(ms: number): Promise<void>;
  cleanup?(): Promise<void>;
}

export type MakeCache = (options: TimelineCacheOptions) => Promise<CacheHarness>;

const home = (id: string): ListRef => ({ kind: 'home', id });
const author = (id: string): ListRef => ({ kind: 'author', id });
const tweet = (position: number, retweetedBy: string | null = null, tweetId = randomUUID()): TimelineEntry => ({
  tweetId,
  position,
  retweetedBy,
});
const ALL = { limit: 1000 } as const;

/** Every rule of src/port.ts, run against one adapter. */
export function describeTimelineCacheContract(name: string, makeCache: MakeCache): void {
  describe(`TimelineCache contract: ${name}`, () => {
    const harnesses: CacheHarness[] = [];
    const open = async (options: TimelineCacheOptions = {}) => {
      const harness = await makeCache(options);
      harnesses.push(harness);
      return harness;
    };
    const openCache = async (options: TimelineCacheOptions = {}) => (await open(options)).cache;
    afterEach(async () => {
      for (const h of harnesses.splice(0)) await h.cleanup?.();
    });

    describe('store and read', () => {
      test('a list never stored reads as null, alone and in readMany', async () => {
        const cache = await openCache();
        expect(await cache.read(home('nobody'), ALL)).toBeNull();
        expect(await cache.readMany([home('a'), author('b')], ALL)).toEqual([null, null]);
        expect(await cache.readMany([], ALL)).toEqual([]);
      });

      test('store then read: newest first, retweetedBy and pulls kept, complete reaches the end', async () => {
        const cache = await openCache();
        const rt = randomUUID();
        const [a, b, c] = [tweet(10), tweet(30, rt), tweet(20)];
        const pulls = [randomUUID(), randomUUID()];
        await cache.store(home('u'), [a, b, c], { complete: true, pulls });
        expect(await cache.read(home('u'), ALL)).toEqual({ entries: [b, c, a], reachedEnd: true, pulls });
        await cache.store(home('v'), [a], { complete: false });
        expect(await cache.read(home('v'), ALL)).toEqual({ entries: [a], reachedEnd: false, pulls: [] });
      });

      test('an empty list exists: complete reaches the end at once, incomplete does not', async () => {
        const cache = await openCache();
        await cache.store(home('c'), [], { complete: true });
        await cache.store(home('i'), [], { complete: false });
        expect(await cache.read(home('c'), ALL)).toEqual({ entries: [], reachedEnd: true, pulls: [] });
        expect(await cache.read(home('i'), ALL)).toEqual({ entries: [], reachedEnd: false, pulls: [] });
      });

      test('store keeps one entry per tweet (the smallest position) and the newest maxEntries; a cut makes it incomplete', async () => {
        const cache = await openCache({ maxEntries: 3 });
        const id = randomUUID();
        const rt = randomUUID();
        const entries = [tweet(50, rt, id), tweet(5, null, id), tweet(40), tweet(30), tweet(20)];
        await cache.store(home('u'), entries, { complete: true, pulls: ['x', 'x', 'y'] });
        const page = await cache.read(home('u'), ALL);
        expect(page).toEqual({ entries: [entries[2], entries[3], entries[4]], reachedEnd: false, pulls: ['x', 'y'] });
        // Exactly maxEntries after de-duplication is no cut.
        await cache.store(home('w'), entries.slice(0, 4), { complete: true });
        expect((await cache.read(home('w'), ALL))?.reachedEnd).toBe(true);
      });

      test('store replaces the whole list, pulls included', async () => {
        const cache = await openCache();
        await cache.store(home('u'), [tweet(1), tweet(2)], { complete: true, pulls: ['p'] });
        const fresh = tweet(7);
        await cache.store(home('u'), [fresh], { complete: false });
        expect(await cache.read(home('u'), ALL)).toEqual({ entries: [fresh], reachedEnd: false, pulls: [] });
      });

      test('pages by `before` (exclusive) and `limit`; reachedEnd only when nothing older remains', async () => {
        const cache = await openCache();
        const entries = [10, 20, 30, 40, 50].map((p) => tweet(p));
        await cache.store(home('u'), entries, { complete: true });
        const first = await cache.read(home('u'), { limit: 2 });
        expect(first?.entries.map((e) => e.position)).toEqual([50, 40]);
        expect(first?.reachedEnd).toBe(false);
        const second = await cache.read(home('u'), { before: 40, limit: 2 });
        expect(second?.entries.map((e) => e.position)).toEqual([30, 20]);
        expect(second?.reachedEnd).toBe(false);
        const last = await cache.read(home('u'), { before: 20, limit: 2 });
        expect(last?.entries.map((e) => e.position)).toEqual([10]);
        expect(last?.reachedEnd).toBe(true);
        // Exactly the remaining count: nothing older remains.
        expect((await cache.read(home('u'), { before: 30, limit: 2 }))?.reachedEnd).toBe(true);
        expect(await cache.read(home('u'), { before: 10, limit: 2 })).toEqual({ entries: [], reachedEnd: true, pulls: [] });
        expect(await cache.read(home('u'), { before: 15, limit: 0 })).toEqual({ entries: [], reachedEnd: false, pulls: [] });
        expect(await cache.read(home('u'), { before: 5, limit: 0 })).toEqual({ entries: [], reachedEnd: true, pulls: [] });
      });

      test('home and author lists with the same id are separate', async () => {
        const cache = await openCache();
        const a = tweet(1);
        await cache.store(home('same'), [a], { complete: true });
        expect(await cache.read(author('same'), ALL)).toBeNull();
        await cache.store(author('same'), [], { complete: false, pulls: ['q'] });
        expect((await cache.read(home('same'), ALL))?.entries).toEqual([a]);
      });

      test('readMany answers in the order given, with nulls and repeated lists', async () => {
        const cache = await openCache();
        const [a, b] = [tweet(1), tweet(2)];
        await cache.store(home('u'), [a], { complete: true, pulls: ['c1'] });
        await cache.store(author('c1'), [b], { complete: false });
        const pages = await cache.readMany([author('c1'), home('missing'), home('u'), author('c1')], ALL);
        expect(pages).toEqual([
          { entries: [b], reachedEnd: false, pulls: [] },
          null,
          { entries: [a], reachedEnd: true, pulls: ['c1'] },
          { entries: [b], reachedEnd: false, pulls: [] },
        ]);
      });

      test('drop deletes lists and their pulls; other lists stay', async () => {
        const cache = await openCache();
        await cache.store(home('u'), [tweet(1)], { complete: true, pulls: ['p'] });
        await cache.store(home('v'), [tweet(2)], { complete: true });
        await cache.drop([home('u'), home('never')]);
        expect(await cache.read(home('u'), ALL)).toBeNull();
        expect(await cache.read(home('v'), ALL)).not.toBeNull();
        await cache.store(home('u'), [], { complete: true });
        expect(await cache.read(home('u'), ALL)).toEqual({ entries: [], reachedEnd: true, pulls: [] });
      });

      test('clear deletes every list of this cache', async () => {
        const cache = await openCache();
        await cache.store(home('u'), [tweet(1)], { complete: true });
        await cache.store(author('a'), [tweet(2, randomUUID())], { complete: true, pulls: ['p'] });
        await cache.clear();
        expect(await cache.readMany([home('u'), author('a')], ALL)).toEqual([null, null]);
      });
    });

    describe('offer', () => {
      test('skips missing lists: fan-out never creates a list', async () => {
        const cache = await openCache();
        await cache.store(home('cached'), [], { complete: true });
        const entry = tweet(5);
        expect(await cache.offer([home('cold'), home('cached'), author('cold')], entry)).toBe(1);
        expect(await cache.readMany([home('cold'), author('cold')], ALL)).toEqual([null, null]);
        expect((await cache.read(home('cached'), ALL))?.entries).toEqual([entry]);
      });

      test('adds a new tweet; offering it again changes nothing (idempotent)', async () => {
        const cache = await openCache();
        const old = tweet(10);
        await cache.store(home('u'), [old], { complete: true });
        const entry = tweet(20, randomUUID());
        expect(await cache.offer([home('u'), home('u')], entry)).toBe(1);
        expect(await cache.offer([home('u')], entry)).toBe(1);
        expect(await cache.read(home('u'), ALL)).toEqual({ entries: [entry, old], reachedEnd: true, pulls: [] });
      });

      test('upsert-min: a later entry for a held tweet is kept out; an earlier one replaces it, retweetedBy included', async () => {
        const cache = await openCache();
        const id = randomUUID();
        const [alice, bob] = [randomUUID(), randomUUID()];
        await cache.store(home('u'), [tweet(1), tweet(40, alice, id)], { complete: true });
        expect(await cache.offer([home('u')], tweet(50, bob, id))).toBe(0);
        expect((await cache.read(home('u'), { limit: 1 }))?.entries).toEqual([tweet(40, alice, id)]);
        // An earlier retweet replaces the later one.
        expect(await cache.offer([home('u')], tweet(30, bob, id))).toBe(1);
        expect((await cache.read(home('u'), { limit: 1 }))?.entries).toEqual([tweet(30, bob, id)]);
        // The original, earlier still, replaces the retweet: retweetedBy becomes null.
        expect(await cache.offer([home('u')], tweet(20, null, id))).toBe(1);
        expect((await cache.read(home('u'), { limit: 1 }))?.entries).toEqual([tweet(20, null, id)]);
        // And a retweet arriving late cannot take it back.
        expect(await cache.offer([home('u')], tweet(25, alice, id))).toBe(0);
        expect((await cache.read(home('u'), ALL))?.entries).toEqual([tweet(20, null, id), expect.objectContaining({ position: 1 })]);
      });

      test('an incomplete list takes nothing older than its oldest entry (no entry below a gap)', async () => {
        const cache = await openCache();
        const floor = tweet(100);
        await cache.store(home('u'), [floor, tweet(200)], { complete: false });
        expect(await cache.offer([home('u')], tweet(50))).toBe(0);
        const between = tweet(150);
        expect(await cache.offer([home('u')], between)).toBe(1);
        expect((await cache.read(home('u'), ALL))?.entries.map((e) => e.position)).toEqual([200, 150, 100]);
        // A complete list takes old entries.
        await cache.store(home('c'), [tweet(100)], { complete: true });
        expect(await cache.offer([home('c')], tweet(50))).toBe(1);
      });

      test('an incomplete list with no entries takes nothing', async () => {
        const cache = await openCache();
        await cache.store(home('u'), [], { complete: false });
        expect(await cache.offer([home('u')], tweet(10))).toBe(0);
        expect(await cache.read(home('u'), ALL)).toEqual({ entries: [], reachedEnd: false, pulls: [] });
      });

      test('on an incomplete list, an earlier entry for a held tweet below the gap removes the tweet', async () => {
        const cache = await openCache();
        const id = randomUUID();
        await cache.store(home('u'), [tweet(100), tweet(300, randomUUID(), id)], { complete: false });
        expect(await cache.offer([home('u')], tweet(50, null, id))).toBe(0);
        expect((await cache.read(home('u'), ALL))?.entries.map((e) => e.position)).toEqual([100]);
        // At or above the oldest entry it moves down as usual.
        await cache.store(home('v'), [tweet(100), tweet(300, randomUUID(), id)], { complete: false });
        expect(await cache.offer([home('v')], tweet(150, null, id))).toBe(1);
        expect((await cache.read(home('v'), ALL))?.entries.map((e) => e.position)).toEqual([150, 100]);
      });

      test('trims to maxEntries, oldest first; a trimmed complete list is no longer complete', async () => {
        const cache = await openCache({ maxEntries: 3 });
        await cache.store(home('u'), [tweet(10), tweet(20), tweet(30)], { complete: true });
        expect((await cache.read(home('u'), ALL))?.reachedEnd).toBe(true);
        expect(await cache.offer([home('u')], tweet(40, randomUUID()))).toBe(1);
        const page = await cache.read(home('u'), ALL);
        expect(page?.entries.map((e) => e.position)).toEqual([40, 30, 20]);
        expect(page?.reachedEnd).toBe(false);
        // Now incomplete: older offers are skipped.
        expect(await cache.offer([home('u')], tweet(15))).toBe(0);
      });

      test('a full complete list offered an entry older than all keeps its entries but is no longer complete', async () => {
        const cache = await openCache({ maxEntries: 2 });
        await cache.store(home('u'), [tweet(10), tweet(20)], { complete: true });
        expect(await cache.offer([home('u')], tweet(5))).toBe(0);
        expect(await cache.read(home('u'), ALL)).toEqual({
          entries: [expect.objectContaining({ position: 20 }), expect.objectContaining({ position: 10 })],
          reachedEnd: false,
          pulls: [],
        });
      });

      test('an under-full complete list stays complete as it grows to the cap', async () => {
        const cache = await openCache({ maxEntries: 3 });
        await cache.store(home('u'), [tweet(10)], { complete: true });
        await cache.offer([home('u')], tweet(20));
        await cache.offer([home('u')], tweet(5));
        expect((await cache.read(home('u'), ALL))?.reachedEnd).toBe(true);
      });

      test('fans out over many lists in chunks, skipping the missing ones', async () => {
        const cache = await openCache({ chunkSize: 100, concurrency: 3 });
        const lists = Array.from({ length: 1050 }, (_, i) => home(`f${i}`));
        const cached = lists.filter((_, i) => i % 3 === 0);
        for (const list of cached) await cache.store(list, [], { complete: true });
        const entry = tweet(7, randomUUID());
        expect(await cache.offer(lists, entry)).toBe(cached.length);
        expect(await cache.offer(lists, entry)).toBe(cached.length);
        const pages = await cache.readMany(lists.slice(0, 6), ALL);
        expect(pages.map((p) => p?.entries)).toEqual([[entry], undefined, undefined, [entry], undefined, undefined]);
        expect(await cache.withdraw(lists, entry.tweetId)).toBe(cached.length);
      });

      test('rejects malformed entries', async () => {
        const cache = await openCache();
        await expect(cache.offer([home('u')], { tweetId: 'nope', position: 1, retweetedBy: null })).rejects.toThrow(TypeError);
        await expect(cache.offer([home('u')], tweet(-1))).rejects.toThrow(RangeError);
        await expect(cache.offer([home('u')], tweet(2 ** 53))).rejects.toThrow(RangeError);
        await expect(cache.read(home('u'), { limit: -1 })).rejects.toThrow(RangeError);
      });

      test('positions up to 2^53 - 1 are exact', async () => {
        const cache = await openCache();
        const big = [tweet(2 ** 53 - 1), tweet(2 ** 53 - 2)];
        await cache.store(home('u'), big, { complete: true });
        expect((await cache.read(home('u'), ALL))?.entries).toEqual(big);
        expect((await cache.read(home('u'), { before: 2 ** 53 - 1, limit: 5 }))?.entries).toEqual([big[1]]);
      });

      test('newest: true gives exactly the outcome of a plain offer whenever its promise holds', async () => {
        const cache = await openCache({ maxEntries: 3 });
        const rt = randomUUID();
        // Each case: the same list content twice, one list offered plainly, one with `newest`.
        const cases: { name: string; entries: TimelineEntry[]; complete: boolean; entry: TimelineEntry }[] = [
          { name: 'complete, room left', entries: [tweet(1)], complete: true, entry: tweet(9) },
          { name: 'complete, reaches the cap', entries: [tweet(1), tweet(2)], complete: true, entry: tweet(9) },
          { name: 'complete, over the cap', entries: [tweet(1), tweet(2), tweet(3)], complete: true, entry: tweet(9) },
          { name: 'complete and empty', entries: [], complete: true, entry: tweet(9, rt) },
          { name: 'incomplete, full', entries: [tweet(1, rt), tweet(2), tweet(3)], complete: false, entry: tweet(9) },
          { name: 'incomplete, room left', entries: [tweet(1)], complete: false, entry: tweet(9, rt) },
          { name: 'incomplete and empty', entries: [], complete: false, entry: tweet(9) },
        ];
        for (const [i, c] of cases.entries()) {
          const [plain, fast] = [home(`plain-${i}`), home(`fast-${i}`)];
          for (const list of [plain, fast]) await cache.store(list, c.entries, { complete: c.complete });
          const held = await cache.offer([plain], c.entry);
          expect(await cache.offer([fast], c.entry, { newest: true }), c.name).toBe(held);
          // Offered again (at-least-once), still the same.
          expect(await cache.offer([fast], c.entry, { newest: true }), c.name).toBe(held);
          expect(await cache.read(fast, ALL), c.name).toEqual(await cache.read(plain, ALL));
        }
        // Missing lists are skipped, never created.
        expect(await cache.offer([home('cold'), author('cold')], tweet(10), { newest: true })).toBe(0);
        expect(await cache.readMany([home('cold'), author('cold')], ALL)).toEqual([null, null]);
      });
    });

    describe('withdraw', () => {
      test('removes the tweet from every listed list that holds it; again is a no-op', async () => {
        const cache = await openCache();
        const gone = tweet(20);
        const stays = tweet(10);
        await cache.store(home('u'), [gone, stays], { complete: true });
        await cache.store(author('a'), [gone], { complete: false });
        expect(await cache.withdraw([home('u'), author('a'), home('missing')], gone.tweetId)).toBe(2);
        expect(await cache.withdraw([home('u'), author('a')], gone.tweetId)).toBe(0);
        expect((await cache.read(home('u'), ALL))?.entries).toEqual([stays]);
        expect((await cache.read(author('a'), ALL))?.entries).toEqual([]);
      });

      test('onlyRetweetedBy removes only that user\'s retweet', async () => {
        const cache = await openCache();
        const id = randomUUID();
        const [alice, bob] = [randomUUID(), randomUUID()];
        await cache.store(home('u'), [tweet(10, alice, id)], { complete: true });
        await cache.store(home('v'), [tweet(12, bob, id)], { complete: true });
        await cache.store(home('w'), [tweet(5, null, id)], { complete: true });
        expect(await cache.withdraw([home('u'), home('v'), home('w')], id, { onlyRetweetedBy: alice })).toBe(1);
        const pages = await cache.readMany([home('u'), home('v'), home('w')], ALL);
        expect(pages.map((p) => p?.entries.length)).toEqual([0, 1, 1]);
      });

      test('puts in the list\'s replacement where an entry was removed', async () => {
        const cache = await openCache();
        const id = randomUUID();
        const [alice, bob] = [randomUUID(), randomUUID()];
        await cache.store(home('u'), [tweet(10, alice, id)], { complete: true });
        await cache.store(home('v'), [tweet(10, alice, id)], { complete: true });
        await cache.store(home('w'), [tweet(3, null, id)], { complete: true });
        const replacements = new Map([
          [listKey(home('u')), tweet(30, bob, id)],
          [listKey(home('w')), tweet(40, bob, id)],
        ]);
        const removed = await cache.withdraw([home('u'), home('v'), home('w')], id, { onlyRetweetedBy: alice, replacements });
        expect(removed).toBe(2);
        const pages = await cache.readMany([home('u'), home('v'), home('w')], ALL);
        expect(pages.map((p) => p?.entries)).toEqual([[tweet(30, bob, id)], [], [tweet(3, null, id)]]);
      });

      test('a replacement older than an incomplete list\'s oldest remaining entry is not put in', async () => {
        const cache = await openCache();
        const id = randomUUID();
        const alice = randomUUID();
        await cache.store(home('u'), [tweet(10, alice, id), tweet(50)], { complete: false });
        await cache.store(home('v'), [tweet(10, alice, id), tweet(50)], { complete: false });
        const result = await cache.withdraw([home('u'), home('v')], id, {
          replacements: new Map([
            [listKey(home('u')), tweet(40, null, id)],
            [listKey(home('v')), tweet(60, null, id)],
          ]),
        });
        expect(result).toBe(2);
        const [u, v] = await cache.readMany([home('u'), home('v')], ALL);
        expect(u?.entries.map((e) => e.position)).toEqual([50]);
        expect(v?.entries.map((e) => e.position)).toEqual([60, 50]);
      });

      test('rejects a replacement for another tweet', async () => {
        const cache = await openCache();
        const replacements = new Map([[listKey(home('u')), tweet(1)]]);
        await expect(cache.withdraw([home('u')], randomUUID(), { replacements })).rejects.toThrow(TypeError);
      });
    });

    describe('expiry', () => {
      test('a list expires ttlSeconds after it was stored; reads keep it alive, offers do not', async () => {
        const { cache, advance } = await open({ ttlSeconds: 1 });
        await cache.store(home('read'), [tweet(1)], { complete: true });
        await cache.store(home('offered'), [tweet(1)], { complete: true });
        await advance(600);
        expect(await cache.read(home('read'), ALL)).not.toBeNull();
        expect(await cache.offer([home('offered')], tweet(2))).toBe(1);
        await advance(600);
        expect(await cache.read(home('read'), ALL)).not.toBeNull(); // 1.2 s after store, 0.6 s after the read
        expect(await cache.readMany([home('offered')], ALL)).toEqual([null]);
        expect(await cache.offer([home('offered')], tweet(3))).toBe(0);
        await advance(1100);
        expect(await cache.read(home('read'), ALL)).toBeNull();
        // Stored again, it is back.
        await cache.store(home('read'), [], { complete: true });
        expect(await cache.read(home('read'), ALL)).toEqual({ entries: [], reachedEnd: true, pulls: [] });
      });
    });

    describe('equals the reference model', () => {
      test('random sequences of store/offer/withdraw/drop/read give the same observable results', async () => {
        const maxEntries = 4;
        const cache = await openCache({ maxEntries, chunkSize: 2 });
        const lists = [home('u1'), home('u2'), author('u1'), home('u3')];
        const tweets = Array.from({ length: 8 }, () => randomUUID());
        const users = Array.from({ length: 3 }, () => randomUUID());

        const eventArb = fc.record({ tweet: fc.nat(tweets.length - 1), by: fc.option(fc.nat(users.length - 1)) });
        const listsArb = fc.subarray(lists, { minLength: 1 });
        const readArb = fc.record({ before: fc.option(fc.integer({ min: 1, max: 70 }), { nil: undefined }), limit: fc.nat(5) });
        const storeArb = fc.record({
          events: fc.array(fc.nat(), { maxLength: 7 }),
          complete: fc.boolean(),
          pulls: fc.subarray(['p1', 'p2', 'p3']),
        });
        const opArb = fc.oneof(
          { weight: 5, arbitrary: fc.record({ op: fc.constant('offer' as const), lists: listsArb, event: fc.nat() }) },
          {
            weight: 2,
            arbitrary: fc.record({
              op: fc.constant('withdraw' as const),
              lists: listsArb,
              tweet: fc.nat(tweets.length - 1),
              only: fc.option(fc.nat(users.length - 1)),
              replace: fc.array(fc.nat(), { minLength: lists.length, maxLength: lists.length }),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({ op: fc.constant('store' as const), list: fc.constantFrom(...lists), store: storeArb }),
          },
          { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), lists: listsArb }) },
          // A post or retweet applied in position order: newer than everything so far (or the
          // last such entry delivered again), its tweet new.
          {
            weight: 3,
            arbitrary: fc.record({ op: fc.constant('offerNewest' as const), lists: listsArb, by: fc.option(fc.nat(users.length - 1)), again: fc.boolean() }),
          },
          { weight: 2, arbitrary: fc.record({ op: fc.constant('read' as const), lists: listsArb, read: readArb }) },
        );
        // Events get unique positions (as in the event log); ops refer to them by index. Every
        // list starts stored, so that most ops find lists to act on.
        const scenarioArb = fc.record({
          positions: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 6, maxLength: 14 }),
          events: fc.array(eventArb, { minLength: 14, maxLength: 14 }),
          initial: fc.array(storeArb, { minLength: lists.length, maxLength: lists.length }),
          ops: fc.array(opArb, { maxLength: 40 }),
        });

        await fc.assert(
          fc.asyncProperty(scenarioArb, async ({ positions, events, initial, ops }) => {
            await cache.clear();
            const model = new ReferenceCache(maxEntries, 3_600_000);
            const entries: TimelineEntry[] = positions.map((position, i) => ({
              tweetId: tweets[events[i]!.tweet]!,
              position,
              retweetedBy: events[i]!.by === null ? null : users[events[i]!.by!]!,
            }));
            const entryAt = (i: number) => entries[i % entries.length]!;
            const store = async (list: ListRef, { events: chosen, complete, pulls }: (typeof initial)[number]) => {
              await cache.store(list, chosen.map(entryAt), { complete, pulls });
              model.store(list, chosen.map(entryAt), { complete, pulls });
            };
            for (const [i, list] of lists.entries()) await store(list, initial[i]!);
            let newest = null as TimelineEntry | null;
            for (const op of ops) {
              switch (op.op) {
                case 'offerNewest': {
                  if (!op.again || !newest) {
                    newest = { tweetId: randomUUID(), position: (newest?.position ?? 100) + 1, retweetedBy: op.by === null ? null : users[op.by]! };
                  }
                  expect(await cache.offer(op.lists, newest, { newest: true })).toBe(model.offer(op.lists, newest));
                  break;
                }
                case 'offer':
                  expect(await cache.offer(op.lists, entryAt(op.event))).toBe(model.offer(op.lists, entryAt(op.event)));
                  break;
                case 'withdraw': {
                  const tweetId = tweets[op.tweet]!;
                  const ofTweet = entries.filter((e) => e.tweetId === tweetId);
                  const replacements = new Map<string, TimelineEntry>();
                  if (ofTweet.length > 0) {
                    lists.forEach((list, i) => {
                      const pick = op.replace[i]! % (ofTweet.length + 1); // 0: no replacement
                      if (pick > 0) replacements.set(listKey(list), ofTweet[pick - 1]!);
                    });
                  }
                  const options = { replacements, ...(op.only === null ? {} : { onlyRetweetedBy: users[op.only]! }) };
                  expect(await cache.withdraw(op.lists, tweetId, options)).toBe(model.withdraw(op.lists, tweetId, options));
                  break;
                }
                case 'store':
                  await store(op.list, op.store);
                  break;
                case 'drop':
                  await cache.drop(op.lists);
                  model.drop(op.lists);
                  break;
                case 'read':
                  expect(await cache.readMany(op.lists, op.read)).toEqual(op.lists.map((l) => model.read(l, op.read)));
                  break;
              }
            }
            for (const list of lists) expect(await cache.read(list, ALL)).toEqual(model.read(list, ALL));
          }),
          { numRuns: 150 },
        );
      });
    });
  });
}
