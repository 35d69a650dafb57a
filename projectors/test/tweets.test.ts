import type { StoredEvent } from '@chirp/domain/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tweetsProjection } from '../src/read-models/tweets/projection.ts';
import { getTweetsByIds, type Tweet } from '../src/read-models/tweets/reader.ts';
import { applyEvents, engines, History, interleaveByStream, openBackend, resetProjection, uuid, type Backend } from './support.ts';

describe.each(engines)('tweets read model on %s', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'tweets');
  });
  afterAll(async () => {
    await backend?.close();
  });

  const [alice, bob, carol, dave] = [uuid(), uuid(), uuid(), uuid()];
  const [t1, t2, t3] = [uuid(), uuid(), uuid()];
  /** One tweet through the hydration reader the query API uses. */
  const tweetById = async (id: string): Promise<Tweet | null> => (await getTweetsByIds(backend.executor, [id])).get(id) ?? null;

  function script(): { h: History; lateLike: StoredEvent; lateRetweet: StoredEvent } {
    const h = new History();
    for (const [id, handle] of [[alice, 'alice'], [bob, 'bob'], [carol, 'carol'], [dave, 'dave']] as const) h.register(id, handle);
    h.post(alice, t1, 'hello #chirp @bob', { hashtags: ['chirp'], mentions: ['bob'] });
    h.post(bob, t2, 'a reply', { replyToTweetId: t1 });
    h.post(alice, t3, 'to be deleted');
    h.like(t1, alice, bob);
    h.like(t1, alice, carol);
    h.unlike(t1, alice, bob);
    h.like(t1, alice, dave);
    h.retweet(t1, alice, carol);
    h.retweet(t1, alice, bob);
    h.undoRetweet(t1, alice, bob);
    h.retweet(t1, alice, bob); // retweeted again
    h.like(t3, alice, bob);
    h.retweet(t3, alice, carol);
    h.deleteTweet(alice, t3);
    // Cross-stream race: engagement decided before the delete, appended after it.
    const lateLike = h.like(t3, alice, dave);
    const lateRetweet = h.retweet(t3, alice, dave);
    return { h, lateLike, lateRetweet };
  }

  async function expectScriptedState(): Promise<void> {
    const tweet = await tweetById(t1);
    expect(tweet).toEqual({
      tweetId: t1,
      authorId: alice,
      text: 'hello #chirp @bob',
      replyToTweetId: null,
      hashtags: ['chirp'],
      mentions: ['bob'],
      createdAt: '2025-01-01T00:00:05.000Z',
      likeCount: 2,
      retweetCount: 2,
    });
    const many = await getTweetsByIds(backend.executor, [t1, t2, t3, t1]);
    expect([...many.keys()].sort()).toEqual([t1, t2].sort());
    expect(many.get(t2)).toMatchObject({ replyToTweetId: t1, likeCount: 0, retweetCount: 0, hashtags: [], mentions: [] });
    expect(await tweetById(t3)).toBeNull();
  }

  it('folds likes, unlikes, retweets and undos into guarded counts; deleted tweets are gone', async () => {
    await resetProjection(backend.executor, tweetsProjection);
    await applyEvents(backend.executor, tweetsProjection, script().h.events);
    await expectScriptedState();
  });

  it('a late like or retweet of a deleted tweet, or a redelivered TweetPosted, does not resurrect it', async () => {
    await resetProjection(backend.executor, tweetsProjection);
    const { h, lateLike, lateRetweet } = script();
    await applyEvents(backend.executor, tweetsProjection, h.events);
    const posted = h.events.find((e) => e.type === 'TweetPosted' && e.streamId === `tweet-${t3}`)!;
    await applyEvents(backend.executor, tweetsProjection, [lateLike, posted, lateRetweet]);
    await expectScriptedState();
    const { rows } = await backend.executor.query(`SELECT 1 FROM rm_tweets_likes WHERE tweet_id = $1`, [t3]);
    expect(rows).toHaveLength(0);
  });

  it('gives the same counts when every event is delivered twice and stale engagements are redelivered', async () => {
    await resetProjection(backend.executor, tweetsProjection);
    const { h } = script();
    for (const e of h.events) await applyEvents(backend.executor, tweetsProjection, [e, e]);
    const staleLike = h.events.find((e) => e.type === 'TweetLiked' && e.streamId === `engagement-${t1}-${bob}`)!;
    const staleUndo = h.events.find((e) => e.type === 'RetweetUndone')!;
    await applyEvents(backend.executor, tweetsProjection, [staleLike, staleUndo, ...h.events]);
    await expectScriptedState();
  });

  it('gives the same state whatever the interleaving of streams (likes before the tweet was seen)', async () => {
    const { h } = script();
    let seed = 11;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let round = 0; round < 5; round++) {
      await resetProjection(backend.executor, tweetsProjection);
      await applyEvents(backend.executor, tweetsProjection, interleaveByStream(h.events, random));
      await expectScriptedState();
    }
    await resetProjection(backend.executor, tweetsProjection);
    const posts = h.events.filter((e) => e.type === 'TweetPosted');
    await applyEvents(backend.executor, tweetsProjection, [...h.events.filter((e) => !posts.includes(e)), ...posts]);
    await expectScriptedState();
  });

  it('answers empty lookups without querying', async () => {
    expect(await getTweetsByIds(backend.executor, [])).toEqual(new Map());
  });
});
