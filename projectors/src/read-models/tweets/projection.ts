import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { defineProjection, type ProjectedEventOf } from '../../projection.ts';
import { runDdl } from '../../ddl.ts';
import { setMembership } from '../membership.ts';
import { TWEETS_TABLES, tweetsDdl } from './schema.ts';

async function isTombstoned(tx: SqlQueryable, tweetId: string): Promise<boolean> {
  const { rowCount } = await tx.query(`SELECT 1 FROM rm_tweets_tombstones WHERE tweet_id = $1`, [tweetId]);
  return rowCount > 0;
}

type Engagement = ProjectedEventOf<'TweetLiked' | 'TweetUnliked' | 'Retweeted' | 'RetweetUndone'>;

async function engage(
  tx: SqlQueryable,
  e: Engagement,
  table: 'rm_tweets_likes' | 'rm_tweets_retweets',
  counter: 'like_count' | 'retweet_count',
  active: boolean,
): Promise<void> {
  if (await isTombstoned(tx, e.data.tweetId)) return; // late engagement with a deleted tweet
  const change = await setMembership(tx, table, { tweet_id: e.data.tweetId, user_id: e.data.userId }, active, e.streamRevision);
  if (change === 'unchanged') return;
  // A missing tweet row is fine: TweetPosted counts the membership rows when it arrives.
  await tx.query(`UPDATE rm_tweets_tweets SET ${counter} = ${counter} + $2 WHERE tweet_id = $1`, [
    e.data.tweetId,
    change === 'activated' ? 1 : -1,
  ]);
}

export const tweetsProjection = defineProjection({
  name: 'tweets',
  version: 1,
  readsTables: TWEETS_TABLES,
  setup: (db) => runDdl(db, tweetsDdl),
  on: {
    async TweetPosted(tx, e) {
      // One statement per post, the tombstone check inside it (a deleted tweet never comes back).
      await tx.query(
        `INSERT INTO rm_tweets_tweets
           (tweet_id, author_id, text, reply_to_tweet_id, hashtags, mentions, created_at, position, like_count, retweet_count)
         SELECT $1::text, $2::text, $3::text, $4::text, $5::text[], $6::text[], $7::timestamptz, $8::bigint,
           (SELECT count(*) FROM rm_tweets_likes WHERE tweet_id = $1 AND active),
           (SELECT count(*) FROM rm_tweets_retweets WHERE tweet_id = $1 AND active)
          WHERE NOT EXISTS (SELECT 1 FROM rm_tweets_tombstones WHERE tweet_id = $1)
         ON CONFLICT (tweet_id) DO NOTHING`,
        [
          e.data.tweetId,
          e.data.authorId,
          e.data.text,
          e.data.replyToTweetId ?? null,
          e.data.hashtags,
          e.data.mentions,
          e.occurredAt,
          e.position,
        ],
      );
    },
    async TweetDeleted(tx, e) {
      await tx.query(
        `INSERT INTO rm_tweets_tombstones (tweet_id, deleted_at) VALUES ($1, $2::timestamptz) ON CONFLICT (tweet_id) DO NOTHING`,
        [e.data.tweetId, e.occurredAt],
      );
      await tx.query(`DELETE FROM rm_tweets_tweets WHERE tweet_id = $1`, [e.data.tweetId]);
      await tx.query(`DELETE FROM rm_tweets_likes WHERE tweet_id = $1`, [e.data.tweetId]);
      await tx.query(`DELETE FROM rm_tweets_retweets WHERE tweet_id = $1`, [e.data.tweetId]);
    },
    TweetLiked: (tx, e) => engage(tx, e, 'rm_tweets_likes', 'like_count', true),
    TweetUnliked: (tx, e) => engage(tx, e, 'rm_tweets_likes', 'like_count', false),
    Retweeted: (tx, e) => engage(tx, e, 'rm_tweets_retweets', 'retweet_count', true),
    RetweetUndone: (tx, e) => engage(tx, e, 'rm_tweets_retweets', 'retweet_count', false),
  },
});
