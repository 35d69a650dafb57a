import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import type { EventHandlers, ProjectedEventOf } from '../projection.ts';
import { setMembership } from './membership.ts';

/**
 * Who put which tweet in front of their followers, and when: one row per live tweet (kind
 * 'tweet', actor = author) and per live retweet (actor = retweeter). Both the user-tweets and the
 * home-timeline read models keep such a ledger — each its own copy, under its own table prefix,
 * because a read model owns its storage and is rebuilt on its own.
 *
 * Idempotent and order-tolerant: retweets are revision-guarded memberships, and deleted tweets
 * leave a tombstone so a late or redelivered TweetPosted/Retweeted cannot bring them back.
 */
export function activityLedgerTables(prefix: string) {
  return { activity: `${prefix}_activity`, retweets: `${prefix}_retweets`, tombstones: `${prefix}_tombstones` } as const;
}

export function activityLedgerDdl(prefix: string): string[] {
  const t = activityLedgerTables(prefix);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.activity} (
       actor_id   text NOT NULL,
       tweet_id   text NOT NULL,
       kind       text NOT NULL CHECK (kind IN ('tweet', 'retweet')),
       author_id  text NOT NULL,
       position   bigint NOT NULL,
       created_at timestamptz NOT NULL,
       PRIMARY KEY (actor_id, tweet_id, kind)
     )`,
    `CREATE INDEX IF NOT EXISTS ${t.activity}_page ON ${t.activity} (actor_id, position DESC)`,
    `CREATE INDEX IF NOT EXISTS ${t.activity}_tweet ON ${t.activity} (tweet_id)`,
    `CREATE TABLE IF NOT EXISTS ${t.retweets} (
       tweet_id text NOT NULL,
       user_id  text NOT NULL,
       active   boolean NOT NULL,
       revision integer NOT NULL,
       PRIMARY KEY (tweet_id, user_id)
     )`,
    `CREATE TABLE IF NOT EXISTS ${t.tombstones} (tweet_id text PRIMARY KEY)`,
  ];
}

type LedgerEvents = 'TweetPosted' | 'Retweeted' | 'RetweetUndone' | 'TweetDeleted';

export function activityLedgerHandlers(prefix: string): Required<Pick<EventHandlers, LedgerEvents>> {
  const t = activityLedgerTables(prefix);
  const isTombstoned = async (tx: SqlQueryable, tweetId: string) =>
    (await tx.query(`SELECT 1 FROM ${t.tombstones} WHERE tweet_id = $1`, [tweetId])).rowCount > 0;
  const insertPosts = insertPostsRun(prefix);

  return {
    // A post alone is a run of one: one statement, the tombstone check inside it.
    TweetPosted: (tx, e) => insertPosts(tx, [e]),
    async Retweeted(tx, e) {
      if (await isTombstoned(tx, e.data.tweetId)) return;
      const change = await setMembership(tx, t.retweets, { tweet_id: e.data.tweetId, user_id: e.data.userId }, true, e.streamRevision);
      if (change !== 'activated') return;
      // A retweet after an undo is a new arrival: it takes the new position.
      await tx.query(
        `INSERT INTO ${t.activity} (actor_id, tweet_id, kind, author_id, position, created_at)
         VALUES ($1, $2, 'retweet', $3, $4, $5::timestamptz)
         ON CONFLICT (actor_id, tweet_id, kind) DO UPDATE SET position = EXCLUDED.position, created_at = EXCLUDED.created_at`,
        [e.data.userId, e.data.tweetId, e.data.authorId, e.position, e.occurredAt],
      );
    },
    async RetweetUndone(tx, e) {
      if (await isTombstoned(tx, e.data.tweetId)) return;
      const change = await setMembership(tx, t.retweets, { tweet_id: e.data.tweetId, user_id: e.data.userId }, false, e.streamRevision);
      if (change !== 'deactivated') return;
      await tx.query(`DELETE FROM ${t.activity} WHERE actor_id = $1 AND tweet_id = $2 AND kind = 'retweet'`, [e.data.userId, e.data.tweetId]);
    },
    async TweetDeleted(tx, e) {
      await tx.query(`INSERT INTO ${t.tombstones} (tweet_id) VALUES ($1) ON CONFLICT DO NOTHING`, [e.data.tweetId]);
      // The tweet and every retweet of it leave every list.
      await tx.query(`DELETE FROM ${t.activity} WHERE tweet_id = $1`, [e.data.tweetId]);
      await tx.query(`DELETE FROM ${t.retweets} WHERE tweet_id = $1`, [e.data.tweetId]);
    },
  };
}

/**
 * A run of TweetPosted into the ledger as one statement (redeliveries and tombstoned tweets
 * included: the first row per key wins, a tombstone keeps it out).
 */
export function insertPostsRun(prefix: string) {
  const t = activityLedgerTables(prefix);
  return async (tx: SqlQueryable, events: readonly ProjectedEventOf<'TweetPosted'>[]): Promise<void> => {
    await tx.query(
      `INSERT INTO ${t.activity} (actor_id, tweet_id, kind, author_id, position, created_at)
       SELECT x.author, x.tweet, 'tweet', x.author, x.position, x.at
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[]) WITH ORDINALITY AS x(author, tweet, position, at, i)
        WHERE NOT EXISTS (SELECT 1 FROM ${t.tombstones} WHERE tweet_id = x.tweet)
        ORDER BY x.i
       ON CONFLICT DO NOTHING`,
      [events.map((e) => e.data.authorId), events.map((e) => e.data.tweetId), events.map((e) => e.position), events.map((e) => e.occurredAt)],
    );
  };
}
