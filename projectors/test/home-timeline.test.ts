import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeTimelineProjection } from '../src/read-models/home-timeline/projection.ts';
import { readHomeTimeline, type HomeTimelineItem } from '../src/read-models/home-timeline/reader.ts';
import { InvalidCursorError } from '../src/cursor.ts';
import { buildHistory, command, deliveries, deliveryOrder, prng } from './histories.ts';
import { referenceHome } from './reference.ts';
import { applyEvents, engines, History, openBackend, resetProjection, uuid, type Backend } from './support.ts';

// Random histories and their at-least-once deliveries: histories.ts (shared with the cached timeline's tests).
const scenario = fc
  .integer({ min: 2, max: 5 })
  .chain((users) =>
    fc.record({
      users: fc.constant(users),
      commands: fc.array(command(users), { minLength: 1, maxLength: 60 }),
      delivery: fc.constantFrom(...deliveries),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
      pageSizes: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
    }),
  );

describe.each(engines)('home timeline on %s', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'home_timeline');
  });
  afterAll(async () => {
    await backend?.close();
  });

  async function readAll(userId: string, pageSizes: readonly number[]): Promise<HomeTimelineItem[]> {
    const items: HomeTimelineItem[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 500; page++) {
      const limit = pageSizes[page % pageSizes.length]!;
      const result = await readHomeTimeline(backend.executor, userId, { limit, cursor });
      items.push(...result.items);
      if (result.nextCursor === null) return items;
      // Pages are full whenever older entries exist.
      expect(result.items).toHaveLength(limit);
      cursor = result.nextCursor;
    }
    throw new Error('pagination did not end');
  }

  it('equals the reference model for random histories, deliveries and page sizes', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ users: userCount, commands, delivery, seed, pageSizes }) => {
        const { users, events } = buildHistory(userCount, commands);
        await resetProjection(backend.executor, homeTimelineProjection);
        await applyEvents(backend.executor, homeTimelineProjection, deliveryOrder(events, delivery, prng(seed)));
        for (const user of users) {
          expect(await readAll(user, pageSizes)).toEqual(referenceHome(events, user));
        }
      }),
      { numRuns: 120 },
    );
  });

  it('shows a followee retweet of a tweet once, by its first arrival, and honours undo, unfollow and delete', async () => {
    await resetProjection(backend.executor, homeTimelineProjection);
    const h = new History();
    const [u, x, y, z] = [uuid(), uuid(), uuid(), uuid()];
    const [ownId, zId, yId] = [uuid(), uuid(), uuid()];
    for (const [id, handle] of [[u, 'uuu'], [x, 'xxx'], [y, 'yyy'], [z, 'zzz']] as const) h.register(id, handle);
    h.follow(u, x);
    h.follow(u, y);
    const own = h.post(u, ownId);
    h.post(z, zId); // z is not followed by u
    const xRetweet = h.retweet(zId, z, x);
    const yRetweet = h.retweet(zId, z, y); // a later retweet of the same tweet: hidden behind x's
    const yTweet = h.post(y, yId);
    h.retweet(ownId, u, x); // u's own tweet arrived first: shown as u's tweet, once
    await applyEvents(backend.executor, homeTimelineProjection, h.events);
    const expected = [
      { tweetId: yId, authorId: y, sortPosition: yTweet.position },
      { tweetId: zId, authorId: z, retweetedBy: x, sortPosition: xRetweet.position },
      { tweetId: ownId, authorId: u, sortPosition: own.position },
    ];
    expect((await readHomeTimeline(backend.executor, u, { limit: 10 })).items).toEqual(expected);
    expect(referenceHome(h.events, u)).toEqual(expected);

    // x undoes the retweet: y's retweet now brings the z tweet in, at y's retweet's position.
    const undo = h.undoRetweet(zId, z, x);
    await applyEvents(backend.executor, homeTimelineProjection, [undo]);
    expect((await readHomeTimeline(backend.executor, u, { limit: 10 })).items).toEqual([
      { tweetId: yId, authorId: y, sortPosition: yTweet.position },
      { tweetId: zId, authorId: z, retweetedBy: y, sortPosition: yRetweet.position },
      { tweetId: ownId, authorId: u, sortPosition: own.position },
    ]);

    const rest = [h.unfollow(u, y), h.deleteTweet(u, ownId)];
    await applyEvents(backend.executor, homeTimelineProjection, rest);
    expect((await readHomeTimeline(backend.executor, u, { limit: 10 })).items).toEqual([]);
    expect(referenceHome(h.events, u)).toEqual([]);
    // z's home holds only z's own tweet: z follows nobody and retweeted nothing.
    expect((await readHomeTimeline(backend.executor, z, { limit: 10 })).items.map((i) => i.tweetId)).toEqual([zId]);
  });

  it("includes the user's own retweets, each tweet once by its earliest entry, and drops them on undo", async () => {
    await resetProjection(backend.executor, homeTimelineProjection);
    const h = new History();
    const [u, a, b] = [uuid(), uuid(), uuid()];
    const [aId, bId, ownId] = [uuid(), uuid(), uuid()];
    for (const [id, handle] of [[u, 'uuu'], [a, 'aaa'], [b, 'bbb']] as const) h.register(id, handle);
    h.follow(u, b); // u does not follow a
    h.post(a, aId);
    const bTweet = h.post(b, bId);
    const own = h.post(u, ownId);
    const uRetweetsA = h.retweet(aId, a, u); // brings a's tweet in, as u's retweet
    h.retweet(bId, b, u); // b's original is older: shown as b's tweet, once
    h.retweet(ownId, u, u); // the own original is older: shown as u's tweet, once
    const bRetweetsA = h.retweet(aId, a, b); // later than u's retweet: hidden behind it
    const read = async () => (await readHomeTimeline(backend.executor, u, { limit: 10 })).items;
    await applyEvents(backend.executor, homeTimelineProjection, h.events);
    const expected: HomeTimelineItem[] = [
      { tweetId: aId, authorId: a, retweetedBy: u, sortPosition: uRetweetsA.position },
      { tweetId: ownId, authorId: u, sortPosition: own.position },
      { tweetId: bId, authorId: b, sortPosition: bTweet.position },
    ];
    expect(await read()).toEqual(expected);
    expect(referenceHome(h.events, u)).toEqual(expected);
    // a's own home: a's tweet only (a follows nobody; others' retweets of it are not a's entries).
    expect((await readHomeTimeline(backend.executor, a, { limit: 10 })).items).toEqual([
      { tweetId: aId, authorId: a, sortPosition: h.events.find((e) => e.streamId === `tweet-${aId}`)!.position },
    ]);

    // u undoes the retweet: b's (followed) retweet now brings a's tweet in, at its own position.
    await applyEvents(backend.executor, homeTimelineProjection, [h.undoRetweet(aId, a, u)]);
    const afterUndo: HomeTimelineItem[] = [
      { tweetId: aId, authorId: a, retweetedBy: b, sortPosition: bRetweetsA.position },
      { tweetId: ownId, authorId: u, sortPosition: own.position },
      { tweetId: bId, authorId: b, sortPosition: bTweet.position },
    ];
    expect(await read()).toEqual(afterUndo);
    expect(referenceHome(h.events, u)).toEqual(afterUndo);

    // Unfollowing b leaves u's own entries: the own tweet, and b's tweet through u's retweet.
    const uRetweetsB = h.events.find((e) => e.type === 'Retweeted' && e.streamId === `engagement-${bId}-${u}`)!;
    await applyEvents(backend.executor, homeTimelineProjection, [h.unfollow(u, b)]);
    const afterUnfollow: HomeTimelineItem[] = [
      { tweetId: bId, authorId: b, retweetedBy: u, sortPosition: uRetweetsB.position },
      { tweetId: ownId, authorId: u, sortPosition: own.position },
    ];
    expect(await read()).toEqual(afterUnfollow);
    expect(referenceHome(h.events, u)).toEqual(afterUnfollow);
  });

  it('rejects invalid cursors with InvalidCursorError', async () => {
    await expect(readHomeTimeline(backend.executor, uuid(), { limit: 10, cursor: '%%%' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});
