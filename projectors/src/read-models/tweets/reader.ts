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
