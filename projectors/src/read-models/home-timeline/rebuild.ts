import type { SqlExecutor, SqlQueryable } from '@chirp/event-store/sql/executor';
import type { TimelineCache, TimelineEntry } from '@chirp/timeline-cache';
import { CHECKPOINT_TABLE } from '../../checkpoints.ts';
import { authorList, homeList } from './lists.ts';
import { authorEntries, celebrityFollowees, referenceEntries } from './queries.ts';
import { HOME_TIMELINE_NAME, homeTables } from './schema.ts';
import { inTransaction } from './transaction-scope.ts';

/**
 * Runs `fn` in a transaction that holds the projection's checkpoint row FOR SHARE. A batch moves
 * the checkpoint (UPDATE … WHERE position = $old) first thing in its transaction, so it holds that
 * row for the whole batch, cache side effects included: a rebuild therefore reads SQL and stores
 * its list either entirely before a batch (whose offers then land in the stored list) or entirely
 * after it (and reads what it committed) — no entry can fall between the two. On PGlite the
 * executor runs one transaction at a time anyway.
 */
async function serialisedWithFanOut<T>(db: SqlExecutor, fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
  return db.transaction((tx) =>
    inTransaction(tx, async () => {
      const { rows } = await tx.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [CHECKPOINT_TABLE]);
      if (rows[0]?.present) {
        await tx.query(`SELECT 1 FROM ${CHECKPOINT_TABLE} WHERE name = $1 FOR SHARE`, [HOME_TIMELINE_NAME]);
      }
      return fn(tx);
    }),
  );
}

const bare = (e: TimelineEntry): TimelineEntry => ({ tweetId: e.tweetId, position: e.position, retweetedBy: e.retweetedBy });

/**
 * Builds a user's cached home timeline from SQL: the newest maxEntries winning entries whose actor
 * is the user or an ordinary author (de-duplicated before celebrities' entries are left out), the
 * user's celebrity followees as pulls, complete iff the whole history fitted.
 */
export async function rebuildHome(db: SqlExecutor, cache: TimelineCache, userId: string): Promise<void> {
  // Committed on its own, before the list can exist: fan-out offers only to users in this table,
  // so a list stored by a transaction whose COMMIT then failed must still be known there.
  await db.query(`INSERT INTO ${homeTables.cached} (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, [userId]);
  await serialisedWithFanOut(db, async (tx) => {
    const max = cache.maxEntries;
    const entries = await referenceEntries(tx, userId, { before: null, limit: max + 1, pushedOnly: true });
    const pulls = await celebrityFollowees(tx, userId);
    await cache.store(homeList(userId), entries.slice(0, max).map(bare), { complete: entries.length <= max, pulls });
  });
}

/** Builds an author's recent list from SQL: the author's own tweets and retweets, newest first. */
export async function rebuildAuthor(db: SqlExecutor, cache: TimelineCache, authorId: string): Promise<void> {
  await serialisedWithFanOut(db, async (tx) => {
    const max = cache.maxEntries;
    const entries = await authorEntries(tx, authorId, max + 1);
    await cache.store(authorList(authorId), entries.slice(0, max), { complete: entries.length <= max });
  });
}
