import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { defineProjection } from '../../projection.ts';
import { runDdl, setMembership } from '../membership.ts';
import { HOME_TIMELINE_TABLES, homeTimelineDdl } from './schema.ts';

async function isTombstoned(tx: SqlQueryable, tweetId: string): Promise<boolean> {
  const { rowCount } = await tx.query(`SELECT 1 FROM rm_home_tombstones WHERE tweet_id = $1`, [tweetId]);
  return rowCount > 0;
}

export const homeTimelineProjection = defineProjection({
  name: 'home-timeline',
  version: 1,
  readsTables: HOME_TIMELINE_TABLES,
  setup: (db) => runDdl(db, homeTimelineDdl),
  on: {
    async Followed(tx, e) {
      await setMembership(
        tx,
        'rm_home_follows',
        { follower_id: e.data.followerId, followee_id: e.data.followeeId },
        true,
        e.streamRevision,
      );
    },
    async Unfollowed(tx, e) {
      await setMembership(
        tx,
        'rm_home_follows',
        { follower_id: e.data.followerId, followee_id: e.data.followeeId },
        false,
        e.streamRevision,
      );
    },
    async TweetPosted(tx, e) {
      if (await isTombstoned(tx, e.data.tweetId)) return;
      await tx.query(
        `INSERT INTO rm_home_activity (actor_id, tweet_id, kind, author_id, position)
         VALUES ($1, $2, 'tweet', $1, $3) ON CONFLICT DO NOTHING`,
        [e.data.authorId, e.data.tweetId, e.position],
      );
    },
    async Retweeted(tx, e) {
      if (await isTombstoned(tx, e.data.tweetId)) return;
      const change = await setMembership(
        tx,
        'rm_home_retweets',
        { tweet_id: e.data.tweetId, user_id: e.data.userId },
        true,
        e.streamRevision,
      );
      if (change !== 'activated') return;
      await tx.query(
        `INSERT INTO rm_home_activity (actor_id, tweet_id, kind, author_id, position)
         VALUES ($1, $2, 'retweet', $3, $4)
         ON CONFLICT (actor_id, tweet_id, kind) DO UPDATE SET position = EXCLUDED.position`,
        [e.data.userId, e.data.tweetId, e.data.authorId, e.position],
      );
    },
    async RetweetUndone(tx, e) {
      if (await isTombstoned(tx, e.data.tweetId)) return;
      const change = await setMembership(
        tx,
        'rm_home_retweets',
        { tweet_id: e.data.tweetId, user_id: e.data.userId },
        false,
        e.streamRevision,
      );
      if (change !== 'deactivated') return;
      await tx.query(`DELETE FROM rm_home_activity WHERE actor_id = $1 AND tweet_id = $2 AND kind = 'retweet'`, [
        e.data.userId,
        e.data.tweetId,
      ]);
    },
    async TweetDeleted(tx, e) {
      await tx.query(`INSERT INTO rm_home_tombstones (tweet_id) VALUES ($1) ON CONFLICT DO NOTHING`, [e.data.tweetId]);
      await tx.query(`DELETE FROM rm_home_activity WHERE tweet_id = $1`, [e.data.tweetId]);
      await tx.query(`DELETE FROM rm_home_retweets WHERE tweet_id = $1`, [e.data.tweetId]);
    },
  },
});
