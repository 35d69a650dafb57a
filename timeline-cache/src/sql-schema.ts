import type { SqlExecutor } from '@chirp/event-store';

export interface CacheTables {
  lists: string;
  entries: string;
}

export function cacheTables(tablePrefix: string): CacheTables {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(tablePrefix)) {
    throw new TypeError(`tablePrefix must be a lowercase SQL identifier, got ${JSON.stringify(tablePrefix)}`);
  }
  return { lists: `${tablePrefix}_lists`, entries: `${tablePrefix}_entries` };
}

/**
 * The SQL adapter's two tables, created idempotently (an advisory lock serialises concurrent
 * creators on one PostgreSQL database).
 *
 * - `<p>_lists`: one row per cached list. Its row lock serialises every write to the list.
 *   `entry_count` is kept exact by every write so that trimming never has to count 800 rows;
 *   `expires_at` is epoch ms from the adapter's clock (injectable in tests).
 * - `<p>_entries`: one row per (list, tweet). The position index serves reads (newest first) and
 *   the "oldest entry" look-ups of trimming and the no-holes rule (one index probe each).
 *
 * On PostgreSQL both are UNLOGGED: a cache needs no WAL, and after a crash PostgreSQL empties
 * them, which is a cold cache, rebuilt on demand. (PGlite keeps them logged: its data dir is
 * the embedded database and an unclean stop must not leave a half-empty pair.)
 */
export async function ensureCacheSchema(executor: SqlExecutor, tables: CacheTables): Promise<void> {
  const unlogged = executor.engine === 'postgres' ? 'UNLOGGED' : '';
  await executor.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`chirp_timeline_cache:${tables.lists}`]);
    await tx.query(`CREATE ${unlogged} TABLE IF NOT EXISTS ${tables.lists} (
      list_kind text NOT NULL CHECK (list_kind IN ('home', 'author')),
      list_id text NOT NULL,
      complete boolean NOT NULL,
      entry_count integer NOT NULL CHECK (entry_count >= 0),
      pulls text[] NOT NULL,
      expires_at bigint NOT NULL,
      PRIMARY KEY (list_kind, list_id)
    )`);
    await tx.query(`CREATE ${unlogged} TABLE IF NOT EXISTS ${tables.entries} (
      list_kind text NOT NULL,
      list_id text NOT NULL,
      tweet_id uuid NOT NULL,
      position bigint NOT NULL,
      retweeted_by uuid,
      PRIMARY KEY (list_kind, list_id, tweet_id)
    )`);
    await tx.query(
      `CREATE INDEX IF NOT EXISTS ${tables.entries}_by_position ON ${tables.entries} (list_kind, list_id, position)`,
    );
  });
}
