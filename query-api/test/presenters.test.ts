import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { Profile } from '@chirp/projectors/read-models/profiles/reader';
import type { Tweet } from '@chirp/projectors/read-models/tweets/reader';
import { fillPage, type Hydrator } from '../src/presenters.ts';
import { RecordCache } from '../src/record-cache.ts';

// Presentation only: the records come from fixed maps (the read models' own readers are tested
// against real databases in projectors/, and this path end to end in query-api.test.ts).
const profile = (handle: string): Profile => ({
  userId: randomUUID(),
  handle,
  displayName: `${handle} "quoted" ✓`,
  bio: '',
  createdAt: '2026-01-01T00:00:00.000Z',
  followersCount: 0,
  followingCount: 0,
  tweetsCount: 0,
});
const tweetBy = (author: Profile, text: string): Tweet => ({
  tweetId: randomUUID(),
  authorId: author.userId,
  text,
  replyToTweetId: null,
  hashtags: ['x'],
  mentions: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  likeCount: 1,
  retweetCount: 2,
});

function hydratorOver(tweets: Map<string, Tweet>, profiles: Map<string, Profile>, maxAgeMs: number): Hydrator {
  const pick = <T>(all: Map<string, T>) => async (ids: readonly string[]) =>
    new Map(ids.filter((id) => all.has(id)).map((id) => [id, structuredClone(all.get(id)!)] as const));
  return {
    tweets: new RecordCache(pick(tweets), { maxAgeMs, maxEntries: 100 }),
    profiles: new RecordCache(pick(profiles), { maxAgeMs, maxEntries: 100 }),
  };
}

describe('tweet pages', () => {
  const [ann, bob] = [profile('ann'), profile('bob')];
  const [t1, t2] = [tweetBy(ann, 'hello\n"world" </script> \u2028'), tweetBy(bob, 'émoji 🐦')];
  const tweets = new Map([t1, t2].map((t) => [t.tweetId, t]));
  const profiles = new Map([ann, bob].map((p) => [p.userId, p]));
  const skeleton = [{ tweetId: t1.tweetId }, { tweetId: t2.tweetId, retweetedBy: ann.userId }, { tweetId: randomUUID() }];

  test('the body is exactly JSON.stringify({ items, nextCursor }), retweets and odd text included', async () => {
    const hydrator = hydratorOver(tweets, profiles, 60_000);
    for (const nextCursor of [null, 'abc"def']) {
      const page = await fillPage(hydrator, 0, 2, undefined, async () => ({ items: skeleton, nextCursor }));
      expect(page.items.map((v) => v.tweetId)).toEqual([t1.tweetId, t2.tweetId]);
      expect(page.items[1]!.retweetedBy).toEqual({ userId: ann.userId, handle: 'ann' });
      expect(page.json()).toBe(JSON.stringify({ items: page.items, nextCursor: page.nextCursor }));
    }
  });

  test('a presentation lives exactly as long as its records: kept records reuse it, records read again get a new one', async () => {
    const keeping = hydratorOver(tweets, profiles, 60_000);
    const read = () => fillPage(keeping, 0, 2, undefined, async () => ({ items: skeleton, nextCursor: null }));
    const [first, second] = [await read(), await read()];
    expect(second.items[0]).toBe(first.items[0]);
    const fresh = hydratorOver(tweets, profiles, 0); // every read fetches new record objects
    const again = () => fillPage(fresh, 0, 2, undefined, async () => ({ items: skeleton, nextCursor: null }));
    const [a, b] = [await again(), await again()];
    expect(b.items[0]).not.toBe(a.items[0]);
    expect(b.items[0]).toEqual(a.items[0]);
  });
});
