import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor, InvalidCursorError } from '../src/cursor.ts';
import { userTweetsProjection } from '../src/read-models/user-tweets/projection.ts';
import { listUserTweets, type UserTweetsItem } from '../src/read-models/user-tweets/reader.ts';
import { applyEvents, engines, History, interleaveByStream, openBackend, resetProjection, uuid, type Backend } from './support.ts';

describe.each(engines)('user-tweets read model on %s', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'user_tweets');
  });
  afterAll(async () => {
    await backend?.close();
  });

  const [alice, bob, carol] = [uuid(), uuid(), uuid()];
  const tweets = Array.from({ length: 8 }, () => uuid());

  function script() {
    const h = new History();
    h.register(alice, 'alice');
    h.register(bob, 'bob');
    h.register(carol, 'carol');
    const posted = tweets.map((t, i) => h.post(i % 2 === 0 ? alice : bob, t));
    const aliceRetweetsBob1 = h.retweet(tweets[1]!, bob, alice);
    h.retweet(tweets[3]!, bob, alice);
    h.undoRetweet(tweets[3]!, bob, alice);
    const bobRetweetsAlice0 = h.retweet(tweets[0]!, alice, bob);
    h.retweet(tweets[4]!, alice, carol);
    h.retweet(tweets[5]!, bob, alice);
    h.like(tweets[2]!, alice, bob); // not interesting to this model
    h.deleteTweet(bob, tweets[5]!); // removes bob's tweet and alice's retweet of it
    const late = h.retweet(tweets[5]!, bob, carol); // late retweet of a deleted tweet
    h.retweet(tweets[3]!, bob, alice); // retweeted again: newest
    return { h, posted, aliceRetweetsBob1, bobRetweetsAlice0, late };
  }

  async function all(userId: string, pageSize: number): Promise<UserTweetsItem[]> {
    const items: UserTweetsItem[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const page = await listUserTweets(backend.executor, userId, { limit: pageSize, cursor });
      items.push(...page.items);
      if (!page.nextCursor) return items;
      expect(page.items).toHaveLength(pageSize);
      cursor = page.nextCursor;
    }
    throw new Error('too many pages');
  }

  async function expectScriptedState(s: ReturnType<typeof script>): Promise<void> {
    const { posted } = s;
    const alicesList = await all(alice, 2);
    const retweet3 = s.h.events.filter((e) => e.type === 'Retweeted' && e.streamId === `engagement-${tweets[3]}-${alice}`).at(-1)!;
    expect(alicesList).toEqual([
      { tweetId: tweets[3], retweetedBy: alice, sortPosition: retweet3.position },
      { tweetId: tweets[1], retweetedBy: alice, sortPosition: s.aliceRetweetsBob1.position },
      { tweetId: tweets[6], sortPosition: posted[6]!.position },
      { tweetId: tweets[4], sortPosition: posted[4]!.position },
      { tweetId: tweets[2], sortPosition: posted[2]!.position },
      { tweetId: tweets[0], sortPosition: posted[0]!.position },
    ]);
    expect(await all(bob, 3)).toEqual([
      { tweetId: tweets[0], retweetedBy: bob, sortPosition: s.bobRetweetsAlice0.position },
      { tweetId: tweets[7], sortPosition: posted[7]!.position },
      { tweetId: tweets[3], sortPosition: posted[3]!.position },
      { tweetId: tweets[1], sortPosition: posted[1]!.position },
    ]);
    expect((await all(carol, 1)).map((i) => i.tweetId)).toEqual([tweets[4]]);
  }

  it('lists own tweets and retweets newest first, without deleted tweets or undone retweets', async () => {
    await resetProjection(backend.executor, userTweetsProjection);
    const s = script();
    await applyEvents(backend.executor, userTweetsProjection, s.h.events);
    await expectScriptedState(s);
    for (const size of [1, 4, 6, 7, 100]) expect(await all(alice, size)).toEqual(await all(alice, 2));
  });

  it('is idempotent under redelivery and tolerant of stream interleavings', async () => {
    const s = script();
    await resetProjection(backend.executor, userTweetsProjection);
    for (const e of s.h.events) await applyEvents(backend.executor, userTweetsProjection, [e, e]);
    await applyEvents(backend.executor, userTweetsProjection, [...s.h.events, s.late]);
    await expectScriptedState(s);
    let seed = 3;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 4; round++) {
      await resetProjection(backend.executor, userTweetsProjection);
      await applyEvents(backend.executor, userTweetsProjection, interleaveByStream(s.h.events, random));
      await expectScriptedState(s);
    }
  });

  it('rejects cursors it did not issue with InvalidCursorError, and bad limits with RangeError', async () => {
    for (const cursor of ['not a cursor!', 'e30', Buffer.from('{"p":-1}').toString('base64url'), Buffer.from('[1]').toString('base64url')]) {
      await expect(listUserTweets(backend.executor, alice, { limit: 5, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    }
    await expect(listUserTweets(backend.executor, alice, { limit: 0 })).rejects.toBeInstanceOf(RangeError);
    const page = await listUserTweets(backend.executor, alice, { limit: 5, cursor: encodeCursor(1) });
    expect(page).toEqual({ items: [], nextCursor: null });
  });
});
