import type { StoredEvent } from '@chirp/domain/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsProjection } from '../src/read-models/analytics/projection.ts';
import { analyticsOverview, userAnalytics } from '../src/read-models/analytics/reader.ts';
import { analyticsViews } from '../src/read-models/analytics/schema.ts';
import { applyEvents, engines, History, interleaveByStream, openBackend, resetProjection, uuid, type Backend } from './support.ts';

const D1 = Date.parse('2026-03-01T00:00:00.000Z');
const D2 = D1 + 86_400_000;
const HOUR = 3_600_000;

describe.each(engines)('analytics read model on %s', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'analytics');
  });
  afterAll(async () => {
    await backend?.close();
  });

  const [alice, bob, carol] = [uuid(), uuid(), uuid()];
  const [t1, t2] = [uuid(), uuid()];
  const h = new History();
  const events: StoredEvent[] = [];
  const at = (e: StoredEvent, time: number) => events.push({ ...e, occurredAt: new Date(time).toISOString() });
  at(h.register(alice, 'alice'), D1 + 9 * HOUR);
  at(h.register(bob, 'bob'), D1 + 9 * HOUR + 1000);
  at(h.register(carol, 'carol'), D1 + 10 * HOUR);
  at(h.post(alice, t1, 'first'), D1 + 10 * HOUR + 5000);
  at(h.follow(bob, alice), D1 + 10 * HOUR + 6000);
  at(h.follow(carol, alice), D1 + 11 * HOUR);
  at(h.like(t1, alice, bob), D1 + 11 * HOUR + 1000);
  at(h.retweet(t1, alice, carol), D1 + 12 * HOUR);
  at(h.post(bob, uuid(), 'bob too'), D1 + 12 * HOUR + 1000);
  // Day 2
  at(h.unfollow(carol, alice), D2 + 8 * HOUR);
  at(h.post(alice, t2, 'second'), D2 + 9 * HOUR);
  at(h.like(t2, alice, bob), D2 + 9 * HOUR + 1000);
  at(h.like(t2, alice, carol), D2 + 9 * HOUR + 2000);
  at(h.unlike(t1, alice, bob), D2 + 10 * HOUR);

  const day = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    await resetProjection(backend.executor, analyticsProjection);
    let seed = 5;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // Any order, each event possibly twice: facts are keyed by position.
    await applyEvents(backend.executor, analyticsProjection, [...interleaveByStream(events, random), ...events.slice(3, 9)]);
  });

  it('hourly activity is a plain view analysts can query', async () => {
    const { rows } = await backend.executor.query<Record<string, unknown>>(
      `SELECT to_char(hour AT TIME ZONE 'UTC', 'HH24') AS h, posts, retweets, likes, follows, new_users
         FROM ${analyticsViews.activityHourly} WHERE hour < $1::timestamptz ORDER BY hour`,
      [day(D2)],
    );
    expect(rows.map((r) => Object.values(r).map(String).join(' '))).toEqual(['09 0 0 0 0 2', '10 1 0 0 1 1', '11 0 0 1 1 0', '12 1 1 0 0 0']);
  });

  it('overview of a range: totals, days, active authors, top authors and tweets by engagement', async () => {
    const overview = await analyticsOverview(backend.executor, { from: D1, to: D2 + 86_400_000 });
    expect(overview.totals).toEqual({ posts: 3, retweets: 1, likes: 3, follows: 2, newUsers: 3, activeAuthors: 2 });
    expect(overview.daily).toEqual([
      { day: day(D1), posts: 2, retweets: 1, likes: 1, follows: 2, newUsers: 3, activeAuthors: 2 },
      { day: day(D2), posts: 1, retweets: 0, likes: 2, follows: 0, newUsers: 0, activeAuthors: 1 },
    ]);
    // t1: a like (undone on day 2) and a retweet; t2: two likes.
    expect(overview.topAuthors).toEqual([{ userId: alice, handle: 'alice', likes: 2, retweets: 1, engagement: 3 }]);
    expect(overview.topTweets).toEqual([
      { tweetId: t2, authorId: alice, likes: 2, retweets: 0, engagement: 2 },
      { tweetId: t1, authorId: alice, likes: 0, retweets: 1, engagement: 1 },
    ]);
    const firstDay = await analyticsOverview(backend.executor, { from: D1, to: D2 });
    expect(firstDay.totals.posts).toBe(2);
    expect(firstDay.daily).toHaveLength(1);
  });

  it("a user's follower growth and activity per day", async () => {
    expect(await userAnalytics(backend.executor, 'ALICE', { from: D1, to: D2 + 86_400_000 })).toEqual({
      userId: alice,
      handle: 'alice',
      followers: [
        { day: day(D1), gained: 2, lost: 0, net: 2, followers: 2 },
        { day: day(D2), gained: 0, lost: 1, net: -1, followers: 1 },
      ],
      daily: [
        { day: day(D1), posts: 1, likes: 1, retweets: 1 },
        { day: day(D2), posts: 1, likes: 1, retweets: 0 },
      ],
    });
    // The count at the end of a day counts everything before the range too.
    expect((await userAnalytics(backend.executor, 'alice', { from: D2, to: D2 + 86_400_000 }))?.followers).toEqual([
      { day: day(D2), gained: 0, lost: 1, net: -1, followers: 1 },
    ]);
    expect(await userAnalytics(backend.executor, 'nobody', { from: D1, to: D2 })).toBeNull();
  });
});
