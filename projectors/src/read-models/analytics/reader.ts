import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { isoSql, toNumber } from '../../sql-values.ts';
import { analyticsTables as t, analyticsViews as v } from './schema.ts';

/** A time range [from, to), epoch ms. */
export interface Range {
  from: number;
  to: number;
}

export interface Activity {
  posts: number;
  retweets: number;
  likes: number;
  follows: number;
  newUsers: number;
}

export interface Overview {
  totals: Activity & { activeAuthors: number };
  daily: (Activity & { day: string; activeAuthors: number })[];
  topAuthors: { userId: string; handle: string | null; likes: number; retweets: number; engagement: number }[];
  topTweets: { tweetId: string; authorId: string; likes: number; retweets: number; engagement: number }[];
}

const bounds = `to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000)`;
const activity = (r: Record<string, unknown>): Activity => ({
  posts: toNumber(r.posts),
  retweets: toNumber(r.retweets),
  likes: toNumber(r.likes),
  follows: toNumber(r.follows),
  newUsers: toNumber(r.new_users),
});

/** The common analyst's view of a range, from the views docs/analytics.md describes. */
export async function analyticsOverview(db: SqlQueryable, range: Range, top = 10): Promise<Overview> {
  const params = [range.from, range.to];
  const daily = await db.query<Record<string, unknown> & { day: string }>(
    `WITH r(lo, hi) AS (SELECT ${bounds}),
     activity AS (
       SELECT date_trunc('day', hour, 'UTC') AS day, sum(posts) AS posts, sum(retweets) AS retweets, sum(likes) AS likes,
              sum(follows) AS follows, sum(new_users) AS new_users
         FROM ${v.activityHourly}, r WHERE hour >= date_trunc('hour', r.lo, 'UTC') AND hour < r.hi GROUP BY 1
     )
     SELECT ${isoSql('a.day')} AS day, a.posts, a.retweets, a.likes, a.follows, a.new_users, COALESCE(d.authors, 0) AS active_authors
       FROM activity a LEFT JOIN ${v.activeAuthorsDaily} d ON d.day = a.day
      ORDER BY a.day`,
    params,
  );
  const totals = await db.query<Record<string, unknown>>(
    `SELECT count(*) FILTER (WHERE kind = 'post') AS posts, count(*) FILTER (WHERE kind = 'retweet') AS retweets,
            count(*) FILTER (WHERE kind = 'like') AS likes, count(*) FILTER (WHERE kind = 'follow') AS follows,
            count(*) FILTER (WHERE kind = 'registration') AS new_users,
            count(DISTINCT actor_id) FILTER (WHERE kind = 'post') AS active_authors
       FROM ${t.facts} WHERE occurred_at >= to_timestamp($1::float8 / 1000) AND occurred_at < to_timestamp($2::float8 / 1000)`,
    params,
  );
  const authors = await db.query<{ author_id: string; handle: string | null; likes: unknown; retweets: unknown; engagement: unknown }>(
    `SELECT e.author_id, u.handle, sum(e.likes) AS likes, sum(e.retweets) AS retweets, sum(e.engagement) AS engagement
       FROM ${v.authorEngagementDaily} e LEFT JOIN ${t.users} u ON u.user_id = e.author_id
      WHERE e.day >= date_trunc('day', to_timestamp($1::float8 / 1000), 'UTC') AND e.day < to_timestamp($2::float8 / 1000)
      GROUP BY e.author_id, u.handle HAVING sum(e.engagement) > 0
      ORDER BY engagement DESC, e.author_id LIMIT $3`,
    [...params, top],
  );
  const tweets = await db.query<{ tweet_id: string; author_id: string; likes: unknown; retweets: unknown; engagement: unknown }>(
    `SELECT tweet_id, author_id, sum(likes) AS likes, sum(retweets) AS retweets, sum(engagement) AS engagement
       FROM ${v.tweetEngagementDaily}
      WHERE day >= date_trunc('day', to_timestamp($1::float8 / 1000), 'UTC') AND day < to_timestamp($2::float8 / 1000)
      GROUP BY tweet_id, author_id HAVING sum(engagement) > 0
      ORDER BY engagement DESC, tweet_id LIMIT $3`,
    [...params, top],
  );
  const total = totals.rows[0] ?? {};
  return {
    totals: { ...activity(total), activeAuthors: toNumber(total.active_authors ?? 0) },
    daily: daily.rows.map((r) => ({ day: r.day, ...activity(r), activeAuthors: toNumber(r.active_authors) })),
    topAuthors: authors.rows.map((r) => ({ userId: r.author_id, handle: r.handle, likes: toNumber(r.likes), retweets: toNumber(r.retweets), engagement: toNumber(r.engagement) })),
    topTweets: tweets.rows.map((r) => ({ tweetId: r.tweet_id, authorId: r.author_id, likes: toNumber(r.likes), retweets: toNumber(r.retweets), engagement: toNumber(r.engagement) })),
  };
}

export interface UserAnalytics {
  userId: string;
  handle: string;
  /** Per day with a change: followers gained, lost, net, and the follower count at the day's end. */
  followers: { day: string; gained: number; lost: number; net: number; followers: number }[];
  /** Per day with activity: the user's posts, and the likes and retweets their tweets received (net of undos). */
  daily: { day: string; posts: number; likes: number; retweets: number }[];
}

/** One user's follower growth and activity in a range; null for an unknown handle. */
export async function userAnalytics(db: SqlQueryable, handle: string, range: Range): Promise<UserAnalytics | null> {
  const user = await db.query<{ user_id: string; handle: string }>(`SELECT user_id, handle FROM ${t.users} WHERE lower(handle) = lower($1)`, [handle]);
  const found = user.rows[0];
  if (!found) return null;
  const params = [range.from, range.to, found.user_id];
  const followers = await db.query<{ day: string; gained: unknown; lost: unknown; net: unknown; followers: unknown }>(
    `SELECT ${isoSql('day')} AS day, gained, lost, net, followers FROM ${v.followerGrowthDaily}
      WHERE user_id = $3 AND day >= date_trunc('day', to_timestamp($1::float8 / 1000), 'UTC') AND day < to_timestamp($2::float8 / 1000)
      ORDER BY day`,
    params,
  );
  const daily = await db.query<{ day: string; posts: unknown; likes: unknown; retweets: unknown }>(
    `SELECT ${isoSql("date_trunc('day', occurred_at, 'UTC')")} AS day,
            count(*) FILTER (WHERE kind = 'post' AND actor_id = $3) AS posts,
            count(*) FILTER (WHERE kind = 'like' AND target_user_id = $3) - count(*) FILTER (WHERE kind = 'unlike' AND target_user_id = $3) AS likes,
            count(*) FILTER (WHERE kind = 'retweet' AND target_user_id = $3) - count(*) FILTER (WHERE kind = 'unretweet' AND target_user_id = $3) AS retweets
       FROM ${t.facts}
      WHERE (actor_id = $3 OR target_user_id = $3) AND kind IN ('post', 'like', 'unlike', 'retweet', 'unretweet')
        AND occurred_at >= to_timestamp($1::float8 / 1000) AND occurred_at < to_timestamp($2::float8 / 1000)
      GROUP BY date_trunc('day', occurred_at, 'UTC') ORDER BY 1`,
    params,
  );
  return {
    userId: found.user_id,
    handle: found.handle,
    followers: followers.rows.map((r) => ({ day: r.day, gained: toNumber(r.gained), lost: toNumber(r.lost), net: toNumber(r.net), followers: toNumber(r.followers) })),
    daily: daily.rows.map((r) => ({ day: r.day, posts: toNumber(r.posts), likes: toNumber(r.likes), retweets: toNumber(r.retweets) })),
  };
}
