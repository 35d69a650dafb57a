import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { defineProjection, type ProjectedEventOf } from '../../projection.ts';
import { runDdl } from '../ddl.ts';
import { setMembership, setMemberships } from '../membership.ts';
import { PROFILES_TABLES, profilesDdl } from './schema.ts';

async function bump(tx: SqlQueryable, userId: string, column: string, delta: 1 | -1): Promise<void> {
  // A missing user row is fine: UserRegistered recounts from the membership tables.
  await tx.query(`UPDATE rm_profiles_users SET ${column} = ${column} + $2 WHERE user_id = $1`, [userId, delta]);
}

/** Counter moves of many users in one statement (a missing user row is fine, as in `bump`). */
async function bumpMany(tx: SqlQueryable, moves: ReadonlyMap<string, { following: number; followers: number }>): Promise<void> {
  const ids = [...moves.keys()].filter((id) => moves.get(id)!.following !== 0 || moves.get(id)!.followers !== 0);
  if (ids.length === 0) return;
  await tx.query(
    `UPDATE rm_profiles_users u
        SET following_count = u.following_count + d.following, followers_count = u.followers_count + d.followers
       FROM unnest($1::text[], $2::int[], $3::int[]) AS d(user_id, following, followers)
      WHERE u.user_id = d.user_id`,
    [ids, ids.map((id) => moves.get(id)!.following), ids.map((id) => moves.get(id)!.followers)],
  );
}

/**
 * A run of Followed/Unfollowed, set-based: the memberships in one read and one upsert, then every
 * counter that moved in one UPDATE. Counters are plain sums, so the net move per user equals the
 * one-by-one path's.
 */
async function followRun(tx: SqlQueryable, events: readonly ProjectedEventOf<'Followed' | 'Unfollowed'>[]): Promise<void> {
  const changes = await setMemberships(
    tx,
    'rm_profiles_follows',
    ['follower_id', 'followee_id'],
    events.map((e) => ({ keys: [e.data.followerId, e.data.followeeId], active: e.type === 'Followed', revision: e.streamRevision })),
  );
  const moves = new Map<string, { following: number; followers: number }>();
  const move = (id: string) => moves.get(id) ?? (moves.set(id, { following: 0, followers: 0 }), moves.get(id)!);
  changes.forEach((change, i) => {
    if (change === 'unchanged') return;
    const delta = change === 'activated' ? 1 : -1;
    move(events[i]!.data.followerId).following += delta;
    move(events[i]!.data.followeeId).followers += delta;
  });
  await bumpMany(tx, moves);
}

/**
 * A run of UserRegistered in one INSERT: the first registration of a user id wins, as one by one
 * (ON CONFLICT DO NOTHING); the counts are read from the membership tables, which a run of
 * registrations does not change.
 */
async function registrationRun(tx: SqlQueryable, events: readonly ProjectedEventOf<'UserRegistered'>[]): Promise<void> {
  const first = new Map<string, ProjectedEventOf<'UserRegistered'>>();
  for (const e of events) if (!first.has(e.data.userId)) first.set(e.data.userId, e);
  const rows = [...first.values()];
  await tx.query(
    `INSERT INTO rm_profiles_users
       (user_id, handle, handle_lower, display_name, bio, created_at, profile_revision,
        followers_count, following_count, tweets_count)
     SELECT r.user_id, r.handle, lower(r.handle), r.display_name, '', r.created_at::timestamptz, r.revision,
       (SELECT count(*) FROM rm_profiles_follows WHERE followee_id = r.user_id AND active),
       (SELECT count(*) FROM rm_profiles_follows WHERE follower_id = r.user_id AND active),
       (SELECT count(*) FROM rm_profiles_tweets WHERE author_id = r.user_id AND NOT deleted)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) WITH ORDINALITY
         AS r(user_id, handle, display_name, created_at, revision, n)
      ORDER BY r.n
     ON CONFLICT (user_id) DO NOTHING`,
    [
      rows.map((e) => e.data.userId),
      rows.map((e) => e.data.handle),
      rows.map((e) => e.data.displayName),
      rows.map((e) => e.occurredAt),
      rows.map((e) => e.streamRevision),
    ],
  );
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
      // One statement per post: the counter moves only if the row is new (not a redelivery, not a tombstone).
      await tx.query(
        `WITH inserted AS (
           INSERT INTO rm_profiles_tweets (tweet_id, author_id, deleted) VALUES ($1, $2, false)
           ON CONFLICT (tweet_id) DO NOTHING RETURNING author_id
         )
         UPDATE rm_profiles_users SET tweets_count = tweets_count + 1 WHERE user_id IN (SELECT author_id FROM inserted)`,
        [e.data.tweetId, e.data.authorId],
      );
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
  runs: { UserRegistered: registrationRun, Followed: followRun, Unfollowed: followRun },
});
