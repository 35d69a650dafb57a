import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allProjections } from '../src/read-models/index.ts';
import { readHomeTimeline, type HomeTimelineItem } from '../src/read-models/home-timeline/reader.ts';
import { getProfileByHandle } from '../src/read-models/profiles/reader.ts';
import { getTweetsByIds } from '../src/read-models/tweets/reader.ts';
import { listUserTweets } from '../src/read-models/user-tweets/reader.ts';
import { startProjectors, type ProjectorHost } from '../src/runtime.ts';
import { readProjectionStatuses } from '../src/status/reader.ts';
import { referenceHome } from './reference.ts';
import { appendAll, engines, History, openBackend, uuid, waitForPosition, type Backend } from './support.ts';

describe.each(engines)('all read models through the real store on %s', (engine) => {
  let backend: Backend;
  let host: ProjectorHost | undefined;
  beforeAll(async () => {
    backend = await openBackend(engine, 'end_to_end');
  });
  afterAll(async () => {
    await host?.stop();
    await backend?.close();
  });

  it('projects a scripted history appended through the event store into every read model', async () => {
    const { store, executor } = backend;
    const names = allProjections.map((p) => p.name);
    host = await startProjectors(store, executor, allProjections, { batchSize: 7, onError: () => {} });
    const [ann, ben, cat] = [uuid(), uuid(), uuid()];
    const [t1, t2, t3] = [uuid(), uuid(), uuid()];
    const h = new History();
    h.register(ann, 'Ann');
    h.register(ben, 'ben');
    h.register(cat, 'cat');
    h.follow(ann, ben);
    h.follow(ann, cat);
    h.follow(cat, ben);
    h.post(ben, t1, 'first #hello', { hashtags: ['hello'] });
    h.post(cat, t2, 'second');
    h.post(ann, t3, 'third');
    h.like(t1, ben, ann);
    h.like(t1, ben, cat);
    h.retweet(t1, ben, cat);
    h.retweet(t3, ann, ben);
    h.undoRetweet(t3, ann, ben);
    h.deleteTweet(cat, t2);
    h.like(t2, cat, ann); // late like of a deleted tweet
    const last = await appendAll(store, h.events);
    await waitForPosition(executor, names, last, { timeoutMs: 15_000 });

    const stored = await store.readAll(0, 10_000);
    expect(stored).toHaveLength(h.events.length);
    const statuses = await readProjectionStatuses(executor, store, names);
    expect(statuses.map((s) => [s.name, s.position, s.lagEvents, s.state, s.lastError])).toEqual(
      [...names].sort().map((n) => [n, last, 0, 'running', null]),
    );

    expect(await getProfileByHandle(executor, 'ANN')).toMatchObject({ followingCount: 2, followersCount: 0, tweetsCount: 1 });
    expect(await getProfileByHandle(executor, 'ben')).toMatchObject({ followingCount: 0, followersCount: 2, tweetsCount: 1 });
    expect(await getProfileByHandle(executor, 'cat')).toMatchObject({ followingCount: 1, followersCount: 1, tweetsCount: 0 });
    const tweets = await getTweetsByIds(executor, [t1, t2, t3]);
    expect(tweets.get(t1)).toMatchObject({ likeCount: 2, retweetCount: 1, hashtags: ['hello'] });
    expect(tweets.get(t3)).toMatchObject({ likeCount: 0, retweetCount: 0 });
    expect(tweets.has(t2)).toBe(false);

    const byType = (type: string, streamId: string) => stored.find((e) => e.type === type && e.streamId === streamId)!;
    expect((await listUserTweets(executor, cat, { limit: 10 })).items).toEqual([
      { tweetId: t1, retweetedBy: cat, sortPosition: byType('Retweeted', `engagement-${t1}-${cat}`).position },
    ]);
    expect((await listUserTweets(executor, ben, { limit: 10 })).items).toEqual([
      { tweetId: t1, sortPosition: byType('TweetPosted', `tweet-${t1}`).position },
    ]);

    for (const user of [ann, ben, cat]) {
      const items: HomeTimelineItem[] = [];
      let cursor: string | null = null;
      do {
        const page = await readHomeTimeline(executor, user, { limit: 1, cursor });
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(items).toEqual(referenceHome(stored, user));
    }
    expect((await readHomeTimeline(executor, ann, { limit: 10 })).items.map((i) => i.tweetId)).toEqual([t3, t1]);
  });
});
