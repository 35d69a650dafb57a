import type { StoredEvent } from '@chirp/domain/envelope';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorList, homeList } from '../src/read-models/home-timeline/lists.ts';
import { homeTables } from '../src/read-models/home-timeline/schema.ts';
import { referenceHome } from './reference.ts';
import { applyBatch, expectedHome, openRig, setups, type TimelineRig } from './home-timeline-support.ts';
import { buildHistory, command, deliveries, deliveryOrder, prng } from './histories.ts';

// ---------------------------------------------------------------------------------------------
// Random histories over a few users with a tiny celebrity threshold (authors cross it both ways)
// and a tiny cache cap (trimming, paging past the cap), delivered in random batches that keep
// each stream's order but interleave streams and redeliver events; reads (which rebuild lists),
// crashes between the cache writes and the commit, and cache flushes at random points.
// ---------------------------------------------------------------------------------------------
const scenario = fc
  .integer({ min: 3, max: 6 })
  .chain((users) =>
    fc.record({
      users: fc.constant(users),
      commands: fc.array(command(users), { minLength: 1, maxLength: 70 }),
      threshold: fc.integer({ min: 2, max: 3 }),
      hysteresis: fc.boolean(),
      maxEntries: fc.constantFrom(4, 7),
      delivery: fc.constantFrom(...deliveries),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
      pageSizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    }),
  );

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
          // Batches of up to 12 events, each applied as the runner does (applyBatch: runs of
          // follows set-based) or, now and then, event by event.
          const size = 1 + Math.floor(random() * 12);
          await applyBatch(executor, rig.projection, order.slice(i, i + size), random() < 0.15, random() < 0.25);
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
