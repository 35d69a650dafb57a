import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { defineProjection } from '../../projection.ts';
import { runDdl } from '../ddl.ts';
import { setMembership } from '../membership.ts';
import { PROFILES_TABLES, profilesDdl } from './schema.ts';

async function bump(tx: SqlQueryable, userId: string, column: string, delta: 1 | -1): Promise<void> {
  // A missing user row is fine: UserRegistered recounts from the membership tables.
  await tx.query(`UPDATE rm_profiles_users SET ${column} = ${column} + $2 WHERE user_id = $1`, [userId, delta]);
}

export const profilesProjection = defineProjection({
  name: 'profiles',
  version: 1,
  readsTables: PROFILES_TABLES,
  setup: (db) => runDdl(db, profilesDdl),
  on: {
    async UserRegistered(tx, e) {
      // passwordHash is deliberately not stored. Counters are computed from the membership
      // tables, so follows and tweets that arrived before the registration are counted.
      await tx.query(
        `INSERT INTO rm_profiles_users
           (user_id, handle, handle_lower, display_name, bio, created_at, profile_revision,
            followers_count, following_count, tweets_count)
         VALUES ($1, $2, lower($2), $3, '', $4::timestamptz, $5,
           (SELECT count(*) FROM rm_profiles_follows WHERE followee_id = $1 AND active),
           (SELECT count(*) FROM rm_profiles_follows WHERE follower_id = $1 AND active),
           (SELECT count(*) FROM rm_profiles_tweets WHERE author_id = $1 AND NOT deleted))
         ON CONFLICT (user_id) DO NOTHING`,
        [e.data.userId, e.data.handle, e.data.displayName, e.occurredAt, e.streamRevision],
      );
    },
    async ProfileUpdated(tx, e) {
      await tx.query(
        `UPDATE rm_profiles_users
            SET display_name = COALESCE($2::text, display_name), bio = COALESCE($3::text, bio), profile_revision = $4
          WHERE user_id = $1 AND profile_revision < $4`,
        [e.data.userId, e.data.displayName ?? null, e.data.bio ?? null, e.streamRevision],
      );
    },
    async Followed(tx, e) {
      const change = await setMembership(
        tx,
        'rm_profiles_follows',
        { follower_id: e.data.followerId, followee_id: e.data.followeeId },
        true,
        e.streamRevision,
      );
      if (change === 'activated') {
        await bump(tx, e.data.followerId, 'following_count', 1);
        await bump(tx, e.data.followeeId, 'followers_count', 1);
      }
    },
    async Unfollowed(tx, e) {
      const change = await setMembership(
        tx,
        'rm_profiles_follows',
        { follower_id: e.data.followerId, followee_id: e.data.followeeId },
        false,
        e.streamRevision,
      );
      if (change === 'deactivated') {
        await bump(tx, e.data.followerId, 'following_count', -1);
        await bump(tx, e.data.followeeId, 'followers_count', -1);
      }
    },
    async TweetPosted(tx, e) {
      const inserted = await tx.query(
        `INSERT INTO rm_profiles_tweets (tweet_id, author_id, deleted) VALUES ($1, $2, false)
         ON CONFLICT (tweet_id) DO NOTHING RETURNING tweet_id`,
        [e.data.tweetId, e.data.authorId],
      );
      if (inserted.rowCount === 1) await bump(tx, e.data.authorId, 'tweets_count', 1);
    },
    async TweetDeleted(tx, e) {
      const deleted = await tx.query(
        `UPDATE rm_profiles_tweets SET deleted = true WHERE tweet_id = $1 AND NOT deleted RETURNING author_id`,
        [e.data.tweetId],
      );
      if (deleted.rowCount === 1) {
        await bump(tx, e.data.authorId, 'tweets_count', -1);
      } else {
        // Deleted before we saw it posted (or already deleted): leave a tombstone.
        await tx.query(
          `INSERT INTO rm_profiles_tweets (tweet_id, author_id, deleted) VALUES ($1, $2, true)
           ON CONFLICT (tweet_id) DO NOTHING`,
          [e.data.tweetId, e.data.authorId],
        );
      }
    },
  },
});
