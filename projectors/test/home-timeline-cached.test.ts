import type { StoredEvent } from '@chirp/domain/envelope';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorList, homeList } from '../src/read-models/home-timeline/lists.ts';
import { homeTables } from '../src/read-models/home-timeline/schema.ts';
import { referenceHome } from './reference.ts';
import { applyBatch, expectedHome, openRig, PairHistory, setups, type TimelineRig } from './home-timeline-support.ts';
import { interleaveByStream, uuid } from './support.ts';

// ---------------------------------------------------------------------------------------------
// Random histories over a few users with a tiny celebrity threshold (authors cross it both ways)
// and a tiny cache cap (trimming, paging past the cap), delivered in random batches that keep
// each stream's order but interleave streams and redeliver events; reads (which rebuild lists),
// crashes between the cache writes and the commit, and cache flushes at random points.
// ---------------------------------------------------------------------------------------------
type Command =
  | { kind: 'follow' | 'unfollow'; a: number; b: number }
  | { kind: 'post'; a: number }
  | { kind: 'retweet' | 'undo' | 'delete' | 'lateRetweet'; a: number; k: number };

// User 0 is the likely celebrity: followed and retweeting more often than the others.
const command = (users: number): fc.Arbitrary<Command> => {
  const anyone = fc.nat(users - 1);
  const star = fc.oneof(fc.constant(0), anyone);
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('follow' as const), a: anyone, b: star }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('unfollow' as const), a: anyone, b: star }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('post' as const), a: anyone }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('retweet' as const), a: star, k: fc.nat(50) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('undo' as const), a: star, k: fc.nat(50) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), a: anyone, k: fc.nat(50) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('lateRetweet' as const), a: anyone, k: fc.nat(50) }) },
  );
};

const scenario = fc
  .integer({ min: 3, max: 6 })
  .chain((users) =>
    fc.record({
      users: fc.constant(users),
      commands: fc.array(command(users), { minLength: 1, maxLength: 70 }),
      threshold: fc.integer({ min: 2, max: 3 }),
      hysteresis: fc.boolean(),
      maxEntries: fc.constantFrom(4, 7),
      delivery: fc.constantFrom('in-order' as const, 'redelivered' as const, 'interleaved' as const),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
      pageSizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    }),
  );

export function buildHistory(userCount: number, commands: readonly Command[]): { users: string[]; events: StoredEvent[] } {
  const h = new PairHistory();
  const users = Array.from({ length: userCount }, (_, i) => {
    const id = uuid();
    h.register(id, `user_${i}`);
    return id;
  });
  const follows = new Set<string>();
  const live: { id: string; author: string }[] = [];
  const deleted: { id: string; author: string }[] = [];
  const retweets = new Set<string>();
  for (const c of commands) {
    const actor = users[c.a]!;
    switch (c.kind) {
      case 'follow': {
        const other = users[c.b]!;
        if (actor === other || follows.has(`${actor}|${other}`)) break;
        follows.add(`${actor}|${other}`);
        h.follow(actor, other);
        break;
      }
      case 'unfollow': {
        const other = users[c.b]!;
        if (!follows.delete(`${actor}|${other}`)) break;
        h.unfollow(actor, other);
        break;
      }
      case 'post': {
        const id = uuid();
        live.push({ id, author: actor });
        h.post(actor, id);
        break;
      }
      case 'retweet': {
        const candidates = live.filter((t) => !retweets.has(`${t.id}|${actor}`));
        const t = candidates[c.k % Math.max(1, candidates.length)];
        if (!t) break;
        retweets.add(`${t.id}|${actor}`);
        h.retweet(t.id, t.author, actor);
        break;
      }
      case 'undo': {
        const mine = live.filter((t) => retweets.has(`${t.id}|${actor}`));
        const t = mine[c.k % Math.max(1, mine.length)];
        if (!t) break;
        retweets.delete(`${t.id}|${actor}`);
        h.undoRetweet(t.id, t.author, actor);
        break;
      }
      case 'delete': {
        const own = live.filter((t) => t.author === actor);
        const t = own[c.k % Math.max(1, own.length)];
        if (!t) break;
        live.splice(live.indexOf(t), 1);
        deleted.push(t);
        h.deleteTweet(t.author, t.id);
        break;
      }
      case 'lateRetweet': {
        // The cross-stream race the domain cannot prevent: a retweet landing after the delete.
        const t = deleted[c.k % Math.max(1, deleted.length)];
        if (!t || retweets.has(`${t.id}|${actor}`)) break;
        retweets.add(`${t.id}|${actor}`);
        h.retweet(t.id, t.author, actor);
        break;
      }
    }
  }
  return { users, events: h.events };
}

const prng = (seed: number) => {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
};

function deliveryOrder(events: readonly StoredEvent[], delivery: 'in-order' | 'redelivered' | 'interleaved', random: () => number): StoredEvent[] {
  if (delivery === 'in-order') return [...events];
  const base = delivery === 'interleaved' ? interleaveByStream(events, random) : [...events];
  // At-least-once: some events come again later (a consumer restarting from an older offset).
  const out: StoredEvent[] = [];
  for (const e of base) {
    out.push(e);
    if (out.length > 1 && random() < 0.2) out.push(out[Math.floor(random() * out.length)]!);
  }
  return out;
}

const numRuns = Number(process.env.CHIRP_TIMELINE_PROPERTY_RUNS ?? 25);

describe.each(setups)('cached home timeline equals the reference model ($label)', (setup) => {
  let rig: TimelineRig;
  beforeAll(async () => {
    rig = await openRig(setup, 'ht_property');
  });
  afterAll(async () => {
    await rig?.close();
  });

  async function expectAll(users: readonly string[], events: readonly StoredEvent[], pageSizes: readonly number[], what: string) {
    for (const user of users) {
      expect(await rig.readAll(user, pageSizes), `${what}: home of user ${users.indexOf(user)}`).toEqual(expectedHome(events, user));
    }
  }

  /**
   * The cache itself, not only what the reader makes of it: every cached home list is a newest
   * slice of the user's winning entries by the user or ordinary authors (whole when complete),
   * pulling exactly the user's celebrity followees; every author list a newest slice of the
   * author's own entries. (The reader's merge would hide some violations within a page.)
   */
  async function expectCacheInvariants(users: readonly string[], events: readonly StoredEvent[]) {
    const { rows } = await rig.backend.executor.query<{ user_id: string }>(`SELECT user_id FROM ${homeTables.authors} WHERE celebrity`);
    const celebrities = new Set(rows.map((r) => r.user_id));
    const follows = await rig.backend.executor.query<{ follower_id: string; followee_id: string }>(
      `SELECT follower_id, followee_id FROM ${homeTables.follows} WHERE active`,
    );
    for (const user of users) {
      const entries = referenceHome(events, user).map((i) => ({ tweetId: i.tweetId, position: i.sortPosition, retweetedBy: i.retweetedBy ?? null, actor: i.retweetedBy ?? i.authorId! }));
      const home = await rig.cache.read(homeList(user), { limit: 10_000 });
      if (home) {
        const pushed = entries.filter((e) => e.actor === user || !celebrities.has(e.actor)).map(({ actor: _a, ...e }) => e);
        expect(home.entries, `cached home of user ${users.indexOf(user)}`).toEqual(pushed.slice(0, home.entries.length));
        if (home.reachedEnd) expect(home.entries).toHaveLength(pushed.length);
        const pulls = follows.rows.filter((f) => f.follower_id === user && celebrities.has(f.followee_id)).map((f) => f.followee_id);
        expect([...home.pulls].sort()).toEqual(pulls.sort());
      }
      const author = await rig.cache.read(authorList(user), { limit: 10_000 });
      if (author) {
        const own = referenceHome(
          events.filter((e) => e.type !== 'Followed' && e.type !== 'Unfollowed'),
          user,
        ).map((i) => ({ tweetId: i.tweetId, position: i.sortPosition, retweetedBy: i.retweetedBy ?? null }));
        expect(author.entries, `author list of user ${users.indexOf(user)}`).toEqual(own.slice(0, author.entries.length));
      }
    }
  }

  it('for random histories, schedules, reads, crashes and flushes; after a flush; after a replay from 0', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { users, events } = buildHistory(s.users, s.commands);
        const random = prng(s.seed);
        await rig.reconfigure({
          maxEntries: s.maxEntries,
          celebrityThreshold: s.threshold,
          ...(s.hysteresis ? { celebrityExitThreshold: s.threshold - 1 } : { celebrityExitThreshold: s.threshold }),
        });
        const order = deliveryOrder(events, s.delivery, random);
        const { executor } = rig.backend;
        for (let i = 0; i < order.length; ) {
          const size = 1 + Math.floor(random() * 6);
          await applyBatch(executor, rig.projection, order.slice(i, i + size), random() < 0.15);
          i += size;
          // Reads between batches build (and later rebuild) cached lists.
          const r = random();
          if (r < 0.35) {
            const user = users[Math.floor(random() * users.length)]!;
            if (random() < 0.5) await rig.readAll(user, [1 + Math.floor(random() * 9)]);
            else await rig.read(user, 1 + Math.floor(random() * 5));
          } else if (r < 0.38) {
            await rig.cache.clear();
          }
        }
        await expectCacheInvariants(users, events);
        await expectAll(users, events, s.pageSizes, 'after the run');
        await expectAll(users, events, [1], 'read again');
        await rig.cache.clear();
        await expectAll(users, events, s.pageSizes, 'after a flush');
        // Replay from position 0 into fresh tables and cache, with every user's list cached early.
        await rig.reconfigure({ maxEntries: s.maxEntries, celebrityThreshold: s.threshold });
        for (const user of users) await rig.read(user, 1);
        for (let i = 0; i < events.length; i += 10) await applyBatch(executor, rig.projection, events.slice(i, i + 10));
        await expectAll(users, events, s.pageSizes, 'after a replay');
      }),
      { numRuns },
    );
  }, 60_000 + numRuns * 2_000);
});
