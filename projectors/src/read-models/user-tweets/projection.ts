import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { defineProjection } from '../../projection.ts';
import { runDdl, setMembership } from '../membership.ts';
import { USER_TWEETS_TABLES, userTweetsDdl } from './schema.ts';

async function isTombstoned(tx: SqlQueryable, tweetId: string): Promise<boolean> {
  const { rowCount } = await tx.query(`SELECT 1 FROM rm_user_tweets_tombstones WHERE tweet_id = $1`, [tweetId]);
  return rowCount > 0;
}

export const userTweetsProjection = defineProjection({
  name: 'user-tweets',
  version: 1,
  readsTables: USER_TWEETS_TABLES,
  setup: (db) => runDdl(db, userTweetsDdl),
  on: {
    async TweetPosted(tx, e) {
      if (await isTombstoned(tx, e.data.tweetId)) return;
      await tx.query(
        `INSERT INTO rm_user_tweets_entries (user_id, tweet_id, kind, position, created_at)
         VALUES ($1, $2, 'tweet', $3, $4::timestamptz) ON CONFLICT DO NOTHING`,
        [e.data.authorId, e.data.tweetId, e.position, e.occurredAt],
      );
    },
    async Retweeted(tx, e) {
      if (await isTombstoned(tx, e.data.tweetId)) return;
      const change = await setMembership(
        tx,
        'rm_user_tweets_retweets',
        { tweet_id: e.data.tweetId, user_id: e.data.userId },
        true,
        e.streamRevision,
      );
      if (change !== 'activated') return;
      await tx.query(
        `INSERT INTO rm_user_tweets_entries (user_id, tweet_id, kind, position, created_at)
         VALUES ($1, $2, 'retweet', $3, $4::timestamptz)
         ON CONFLICT (user_id, tweet_id, kind) DO UPDATE SET position = EXCLUDED.position, created_at = EXCLUDED.created_at`,
        [e.data.userId, e.data.tweetId, e.position, e.occurredAt],
      );
    },
    async RetweetUndone(tx, e) {
      if (await isTombstoned(tx, e.data.tweetId)) return;
      const change = await setMembership(
        tx,
        'rm_user_tweets_retweets',
        { tweet_id: e.data.tweetId, user_id: e.data.userId },
        false,
        e.streamRevision,
      );
      if (change !== 'deactivated') return;
      await tx.query(`DELETE FROM rm_user_tweets_entries WHERE user_id = $1 AND tweet_id = $2 AND kind = 'retweet'`, [
        e.data.userId,
        e.data.tweetId,
      ]);
    },
    async TweetDeleted(tx, e) {
      await tx.query(`INSERT INTO rm_user_tweets_tombstones (tweet_id) VALUES ($1) ON CONFLICT DO NOTHING`, [e.data.tweetId]);
      // The tweet and every retweet of it leave every user's list.
      await tx.query(`DELETE FROM rm_user_tweets_entries WHERE tweet_id = $1`, [e.data.tweetId]);
      await tx.query(`DELETE FROM rm_user_tweets_retweets WHERE tweet_id = $1`, [e.data.tweetId]);
    },
  },
});
