import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { isoSql, toNumber } from '../../sql-values.ts';

export interface Tweet {
  tweetId: string;
  authorId: string;
  text: string;
  replyToTweetId: string | null;
  hashtags: string[];
  mentions: string[];
  /** occurredAt of the TweetPosted event (ISO-8601 UTC). */
  createdAt: string;
  likeCount: number;
  retweetCount: number;
}

interface Row {
  tweet_id: string;
  author_id: string;
  text: string;
  reply_to_tweet_id: string | null;
  hashtags: string[];
  mentions: string[];
  created_at: string;
  like_count: unknown;
  retweet_count: unknown;
}

const select = `SELECT tweet_id, author_id, text, reply_to_tweet_id, hashtags, mentions,
  ${isoSql('created_at')} AS created_at, like_count, retweet_count FROM rm_tweets_tweets`;

function toTweet(r: Row): Tweet {
  return {
    tweetId: r.tweet_id,
    authorId: r.author_id,
    text: r.text,
    replyToTweetId: r.reply_to_tweet_id,
    hashtags: r.hashtags,
    mentions: r.mentions,
    createdAt: r.created_at,
    likeCount: toNumber(r.like_count),
    retweetCount: toNumber(r.retweet_count),
  };
}

/** Live tweets by id (hydration); deleted or unknown ids are absent from the map. */
export async function getTweetsByIds(db: SqlQueryable, ids: readonly string[]): Promise<Map<string, Tweet>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<Row>(`${select} WHERE tweet_id = ANY($1::text[])`, [[...new Set(ids)]]);
  return new Map(rows.map((r) => [r.tweet_id, toTweet(r)]));
}

/** One live tweet, or null when it does not exist or was deleted. */
export async function getTweet(db: SqlQueryable, id: string): Promise<Tweet | null> {
  const { rows } = await db.query<Row>(`${select} WHERE tweet_id = $1`, [id]);
  return rows[0] ? toTweet(rows[0]) : null;
}

export interface ViewerEngagement {
  liked: boolean;
  retweeted: boolean;
}

/** Whether the viewer currently likes / has retweeted each of the tweets (absent = neither). */
export async function getViewerEngagement(
  db: SqlQueryable,
  userId: string,
  tweetIds: readonly string[],
): Promise<Map<string, ViewerEngagement>> {
  const result = new Map<string, ViewerEngagement>();
  if (tweetIds.length === 0) return result;
  const { rows } = await db.query<{ tweet_id: string; kind: 'like' | 'retweet' }>(
    `SELECT tweet_id, 'like' AS kind FROM rm_tweets_likes WHERE user_id = $1 AND tweet_id = ANY($2::text[]) AND active
     UNION ALL
     SELECT tweet_id, 'retweet' AS kind FROM rm_tweets_retweets WHERE user_id = $1 AND tweet_id = ANY($2::text[]) AND active`,
    [userId, [...new Set(tweetIds)]],
  );
  for (const r of rows) {
    const entry = result.get(r.tweet_id) ?? { liked: false, retweeted: false };
    if (r.kind === 'like') entry.liked = true;
    else entry.retweeted = true;
    result.set(r.tweet_id, entry);
  }
  return result;
}
