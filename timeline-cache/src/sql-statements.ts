import type { CacheTables } from './sql-schema.ts';

/**
 * The SQL adapter's statements, set-based: one statement handles a whole chunk of lists. Lists
 * are passed as parallel arrays ($1 kinds, $2 ids) and unnested.
 *
 * On PostgreSQL every write first locks the chunk's list rows in key order (LOCK_LISTS, its own
 * statement in the same transaction), so that concurrent writers never deadlock and the write
 * statement that follows takes its snapshot after the locks: a single statement that waited for
 * a lock would still read the entries as they were before the other writer committed.
 */
export function sqlStatements({ lists, entries }: CacheTables) {
  const listsOfChunk = `unnest($1::text[], $2::text[]) AS k(list_kind, list_id)
      JOIN ${lists} l ON l.list_kind = k.list_kind AND l.list_id = k.list_id`;
  // One index probe: the oldest entry of list l (optionally ignoring one tweet).
  const oldest = (exceptTweet: string) => `LEFT JOIN LATERAL (
        SELECT e.position, e.tweet_id FROM ${entries} e
        WHERE e.list_kind = l.list_kind AND e.list_id = l.list_id ${exceptTweet ? `AND e.tweet_id <> ${exceptTweet}` : ''}
        ORDER BY e.position LIMIT 1
      ) low ON true`;

  return {
    /** $1 kinds, $2 ids, $3 now (null: expired lists too). */
    lockLists: `SELECT 1 FROM ${listsOfChunk}
      WHERE $3::bigint IS NULL OR l.expires_at > $3::bigint
      ORDER BY l.list_kind, l.list_id FOR UPDATE OF l`,

    /**
     * $1 kinds, $2 ids, $3 tweet, $4 position, $5 retweeter, $6 maxEntries, $7 now → { held }.
     * Per list one action, decided from the list row, the tweet's current entry and the oldest
     * entry (see port.ts for the rules): held (same entry), keep (an earlier one), move (replace
     * with this earlier one), evict (this earlier one is below an incomplete list's gap), skip
     * (new but below the gap), add, cut (full complete list, this is the oldest: trimmed at once),
     * add_trim (full: add and remove the oldest). entry_count stays exact; complete goes false
     * exactly when something is trimmed.
     */
    offer: `WITH s AS (
      SELECT l.list_kind, l.list_id, l.complete, l.entry_count,
             cur.position AS cur_pos, low.position AS low_pos, low.tweet_id AS low_tweet
      FROM ${listsOfChunk}
      LEFT JOIN ${entries} cur
        ON cur.list_kind = l.list_kind AND cur.list_id = l.list_id AND cur.tweet_id = $3::uuid
      ${oldest('')}
      WHERE l.expires_at > $7::bigint
    ), d AS (
      SELECT s.*, CASE
        WHEN cur_pos IS NOT NULL THEN CASE
          WHEN cur_pos = $4::bigint THEN 'held'
          WHEN cur_pos < $4::bigint THEN 'keep'
          WHEN complete OR $4::bigint >= low_pos THEN 'move'
          ELSE 'evict' END
        WHEN NOT complete AND (low_pos IS NULL OR $4::bigint < low_pos) THEN 'skip'
        WHEN entry_count < $6::int THEN 'add'
        WHEN $4::bigint < low_pos THEN 'cut'
        ELSE 'add_trim'
      END AS action
      FROM s
    ), ins AS (
      INSERT INTO ${entries} (list_kind, list_id, tweet_id, position, retweeted_by)
      SELECT list_kind, list_id, $3::uuid, $4::bigint, $5::uuid FROM d WHERE action IN ('add', 'add_trim')
    ), upd AS (
      UPDATE ${entries} e SET position = $4::bigint, retweeted_by = $5::uuid
      FROM d
      WHERE d.action = 'move' AND e.list_kind = d.list_kind AND e.list_id = d.list_id AND e.tweet_id = $3::uuid
    ), del AS (
      -- One primary-key probe per list (an OR of two tweet conditions would scan the list).
      DELETE FROM ${entries} e USING d
      WHERE d.action IN ('evict', 'add_trim') AND e.list_kind = d.list_kind AND e.list_id = d.list_id
        AND e.tweet_id = CASE d.action WHEN 'evict' THEN $3::uuid ELSE d.low_tweet END
    ), meta AS (
      UPDATE ${lists} l SET
        entry_count = l.entry_count + CASE d.action WHEN 'add' THEN 1 WHEN 'evict' THEN -1 ELSE 0 END,
        complete = l.complete AND d.action NOT IN ('cut', 'add_trim')
      FROM d
      WHERE d.action IN ('add', 'evict', 'cut', 'add_trim') AND l.list_kind = d.list_kind AND l.list_id = d.list_id
    )
    SELECT count(*) FILTER (WHERE action IN ('held', 'move', 'add', 'add_trim'))::int AS held FROM d`,

    /**
     * $1 kinds, $2 ids, $3 replacement positions (null: none), $4 replacement retweeters,
     * $5 tweet, $6 onlyRetweetedBy (null: any), $7 now → { removed }.
     * A removed entry is replaced in place (same row) when the replacement may go in: the list is
     * complete or the replacement is not older than the oldest remaining entry.
     */
    withdraw: `WITH s AS (
      SELECT l.list_kind, l.list_id, l.complete, k.rpos, k.rrt, low.position AS low_pos
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[]) AS k(list_kind, list_id, rpos, rrt)
      JOIN ${lists} l ON l.list_kind = k.list_kind AND l.list_id = k.list_id
      JOIN ${entries} cur ON cur.list_kind = l.list_kind AND cur.list_id = l.list_id AND cur.tweet_id = $5::uuid
      ${oldest('$5::uuid')}
      WHERE l.expires_at > $7::bigint AND ($6::uuid IS NULL OR cur.retweeted_by = $6::uuid)
    ), d AS (
      SELECT s.*, (rpos IS NOT NULL AND (complete OR rpos >= low_pos)) IS TRUE AS put FROM s
    ), upd AS (
      UPDATE ${entries} e SET position = d.rpos, retweeted_by = d.rrt
      FROM d
      WHERE d.put AND e.list_kind = d.list_kind AND e.list_id = d.list_id AND e.tweet_id = $5::uuid
    ), del AS (
      DELETE FROM ${entries} e USING d
      WHERE NOT d.put AND e.list_kind = d.list_kind AND e.list_id = d.list_id AND e.tweet_id = $5::uuid
    ), meta AS (
      UPDATE ${lists} l SET entry_count = l.entry_count - 1
      FROM d WHERE NOT d.put AND l.list_kind = d.list_kind AND l.list_id = d.list_id
    )
    SELECT count(*)::int AS removed FROM d`,

    /** $1 kind, $2 id, $3 complete, $4 entry count, $5 pulls, $6 expires_at. Locks the list row. */
    storeList: `INSERT INTO ${lists} (list_kind, list_id, complete, entry_count, pulls, expires_at)
      VALUES ($1, $2, $3, $4, $5::text[], $6)
      ON CONFLICT (list_kind, list_id) DO UPDATE SET complete = EXCLUDED.complete,
        entry_count = EXCLUDED.entry_count, pulls = EXCLUDED.pulls, expires_at = EXCLUDED.expires_at`,
    /** $1 kind, $2 id. */
    deleteEntriesOfList: `DELETE FROM ${entries} WHERE list_kind = $1 AND list_id = $2`,
    /** $1 kind, $2 id, $3 tweets, $4 positions, $5 retweeters. */
    insertEntries: `INSERT INTO ${entries} (list_kind, list_id, tweet_id, position, retweeted_by)
      SELECT $1, $2, t, p, r FROM unnest($3::uuid[], $4::bigint[], $5::uuid[]) AS x(t, p, r)`,

    /** $1 kinds, $2 ids. */
    drop: `WITH k AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(list_kind, list_id)),
      e AS (DELETE FROM ${entries} e USING k WHERE e.list_kind = k.list_kind AND e.list_id = k.list_id)
      DELETE FROM ${lists} l USING k WHERE l.list_kind = k.list_kind AND l.list_id = k.list_id`,

    /**
     * $1 kinds, $2 ids, $3 now, $4 before (null: none), $5 fetch count. Reads only: lists and
     * entries come from one snapshot; the TTL refresh is a separate statement (touch).
     */
    read: `SELECT k.ord::int AS ord, l.complete, l.pulls, l.expires_at, e.tweet_id, e.position, e.retweeted_by
      FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(list_kind, list_id, ord)
      JOIN ${lists} l ON l.list_kind = k.list_kind AND l.list_id = k.list_id
      LEFT JOIN LATERAL (
        SELECT tweet_id, position, retweeted_by FROM ${entries} e
        WHERE e.list_kind = l.list_kind AND e.list_id = l.list_id
          AND ($4::bigint IS NULL OR e.position < $4::bigint)
        ORDER BY e.position DESC LIMIT $5::int
      ) e ON true
      WHERE l.expires_at > $3::bigint
      ORDER BY k.ord, e.position DESC`,

    /**
     * $1 kinds, $2 ids, $3 now, $4 new expires_at. Locks in key order like every writer, so it
     * cannot deadlock with them; a list that expired meanwhile stays expired.
     */
    touch: `UPDATE ${lists} l SET expires_at = $4::bigint
      FROM (
        SELECT l.list_kind, l.list_id FROM ${listsOfChunk}
        WHERE l.expires_at > $3::bigint
        ORDER BY l.list_kind, l.list_id FOR UPDATE OF l
      ) locked
      WHERE l.list_kind = locked.list_kind AND l.list_id = locked.list_id`,

    /** $1 now, $2 batch size → { purged }. Skips lists being written right now. */
    purgeExpired: `WITH victims AS (
      SELECT list_kind, list_id FROM ${lists} WHERE expires_at <= $1::bigint
      ORDER BY list_kind, list_id LIMIT $2::int FOR UPDATE SKIP LOCKED
    ), gone AS (
      DELETE FROM ${lists} l USING victims v
      WHERE l.list_kind = v.list_kind AND l.list_id = v.list_id RETURNING l.list_kind, l.list_id
    ), e AS (
      DELETE FROM ${entries} e USING gone WHERE e.list_kind = gone.list_kind AND e.list_id = gone.list_id
    )
    SELECT count(*)::int AS purged FROM gone`,

    clearEntries: `DELETE FROM ${entries}`,
    clearLists: `DELETE FROM ${lists}`,
  };
}
