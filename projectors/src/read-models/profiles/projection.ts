import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { runDdl } from '../../ddl.ts';
import { defineProjection, type ProjectedEventOf } from '../../projection.ts';
import { setMembership, setMemberships, type MembershipChange } from '../membership.ts';
import { PROFILES_TABLES, PROFILES_VERSION, profilesDdl, profilesReaderIndexes } from './schema.ts';

interface CountMove {
  followers: number;
  following: number;
  tweets: number;
}

/**
 * Adds each user's counter moves in one upsert. A user need not be registered yet: the row holds
 * the net moves whenever they came, and the reader joins it to the profile. A move that nets to
 * zero within a run still writes its row, as the one-by-one path would have.
 */
async function moveCounts(tx: SqlQueryable, moves: ReadonlyMap<string, CountMove>): Promise<void> {
  const ids = [...moves.keys()];
  if (ids.length === 0) return;
  await tx.query(
    `INSERT INTO rm_profiles_counts AS c (user_id, followers_count, following_count, tweets_count)
     SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[])
     ON CONFLICT (user_id) DO UPDATE
       SET followers_count = c.followers_count + EXCLUDED.followers_count,
           following_count = c.following_count + EXCLUDED.following_count,
           tweets_count = c.tweets_count + EXCLUDED.tweets_count`,
    [ids, ids.map((id) => moves.get(id)!.followers), ids.map((id) => moves.get(id)!.following), ids.map((id) => moves.get(id)!.tweets)],
  );
}

function moveOf(moves: Map<string, CountMove>, userId: string): CountMove {
  let move = moves.get(userId);
  if (!move) moves.set(userId, (move = { followers: 0, following: 0, tweets: 0 }));
  return move;
}

type FollowEvent = ProjectedEventOf<'Followed' | 'Unfollowed'>;

/** The counter moves of follow membership changes (one per event, 'unchanged' moves nothing). */
function followMoves(events: readonly FollowEvent[], changes: readonly MembershipChange[]): Map<string, CountMove> {
  const moves = new Map<string, CountMove>();
  changes.forEach((change, i) => {
    if (change === 'unchanged') return;
    const delta = change === 'activated' ? 1 : -1;
    moveOf(moves, events[i]!.data.followerId).following += delta;
    moveOf(moves, events[i]!.data.followeeId).followers += delta;
  });
  return moves;
}

async function followChanged(tx: SqlQueryable, e: FollowEvent): Promise<void> {
  const keys = { follower_id: e.data.followerId, followee_id: e.data.followeeId };
  const change = await setMembership(tx, 'rm_profiles_follows', keys, e.type === 'Followed', e.streamRevision);
  await moveCounts(tx, followMoves([e], [change]));
}

/**
 * A run of Followed/Unfollowed, set-based: the memberships in one statement (two if some pairs
 * were seen before), then every counter that moved in one upsert. Counters are plain sums, so the
 * net move per user equals the one-by-one path's.
 */
async function followRun(tx: SqlQueryable, events: readonly FollowEvent[]): Promise<void> {
  const changes = await setMemberships(
    tx,
    'rm_profiles_follows',
    ['follower_id', 'followee_id'],
    events.map((e) => ({ keys: [e.data.followerId, e.data.followeeId], active: e.type === 'Followed', revision: e.streamRevision })),
  );
  await moveCounts(tx, followMoves(events, changes));
}

/** A run of UserRegistered in one INSERT: the first registration of a user id wins, as one by one. */
async function registrationRun(tx: SqlQueryable, events: readonly ProjectedEventOf<'UserRegistered'>[]): Promise<void> {
  const first = new Map<string, ProjectedEventOf<'UserRegistered'>>();
  for (const e of events) if (!first.has(e.data.userId)) first.set(e.data.userId, e);
  const rows = [...first.values()];
  // passwordHash is deliberately not stored.
  await tx.query(
    `INSERT INTO rm_profiles_users (user_id, handle, handle_lower, display_name, bio, created_at, profile_revision)
     SELECT r.user_id, r.handle, lower(r.handle), r.display_name, '', r.created_at::timestamptz, r.revision
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[]) AS r(user_id, handle, display_name, created_at, revision)
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
  version: PROFILES_VERSION,
  readsTables: PROFILES_TABLES,
  setup: (db) => runDdl(db, profilesDdl),
  readerIndexes: profilesReaderIndexes,
  on: {
    UserRegistered: (tx, e) => registrationRun(tx, [e]),
    async ProfileUpdated(tx, e) {
      await tx.query(
        `UPDATE rm_profiles_users
            SET display_name = COALESCE($2::text, display_name), bio = COALESCE($3::text, bio), profile_revision = $4
          WHERE user_id = $1 AND profile_revision < $4`,
        [e.data.userId, e.data.displayName ?? null, e.data.bio ?? null, e.streamRevision],
      );
    },
    Followed: followChanged,
    Unfollowed: followChanged,
    async TweetPosted(tx, e) {
      // One statement per post: the counter moves only if the row is new (not a redelivery, not a tombstone).
      await tx.query(
        `WITH inserted AS (
           INSERT INTO rm_profiles_tweets (tweet_id, author_id, deleted) VALUES ($1, $2, false)
           ON CONFLICT (tweet_id) DO NOTHING RETURNING author_id
         )
         INSERT INTO rm_profiles_counts AS c (user_id, tweets_count) SELECT author_id, 1 FROM inserted
         ON CONFLICT (user_id) DO UPDATE SET tweets_count = c.tweets_count + 1`,
        [e.data.tweetId, e.data.authorId],
      );
    },
    async TweetDeleted(tx, e) {
      const deleted = await tx.query(
        `UPDATE rm_profiles_tweets SET deleted = true WHERE tweet_id = $1 AND NOT deleted RETURNING author_id`,
        [e.data.tweetId],
      );
      if (deleted.rowCount === 1) {
        await moveCounts(tx, new Map([[e.data.authorId, { followers: 0, following: 0, tweets: -1 }]]));
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
