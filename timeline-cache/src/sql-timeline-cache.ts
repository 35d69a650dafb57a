import type { SqlExecutor, SqlQueryable } from '@chirp/event-store';
import { mapChunks } from './chunks.ts';
import {
  listKey,
  type ListPage,
  type ListRef,
  type ReadOptions,
  type StoreOptions,
  type TimelineCache,
  type TimelineCacheOptions,
  type TimelineEntry,
  type WithdrawOptions,
} from './port.ts';
import { cacheTables, ensureCacheSchema } from './sql-schema.ts';
import { sqlStatements } from './sql-statements.ts';
import {
  assertEntry,
  assertListRef,
  assertReadOptions,
  assertWithdraw,
  normaliseStore,
  resolveOptions,
  uniqueLists,
} from './validate.ts';

export interface SqlTimelineCacheOptions extends TimelineCacheOptions {
  /** Table name prefix: tables `<prefix>_lists` and `<prefix>_entries`; default 'tl_cache'. */
  readonly tablePrefix?: string;
  /** Clock in epoch ms for expiry; default Date.now (tests inject one). */
  readonly now?: () => number;
}

export interface SqlTimelineCache extends TimelineCache {
  /**
   * Deletes up to `batch` expired lists (rows stay after expiry until purged or stored again;
   * they read as missing and take no offers meanwhile). Resolves to how many were deleted.
   * Call it now and then, e.g. from the projection runtime's idle loop.
   */
  purgeExpired(batch?: number): Promise<number>;
}

interface ReadRow {
  ord: number;
  complete: boolean;
  pulls: string[];
  expires_at: number;
  tweet_id: string | null;
  position: number | null;
  retweeted_by: string | null;
}

/**
 * The timeline cache in SQL tables over a SqlExecutor: embedded mode (PGlite) and PostgreSQL.
 * Same rules as the Redis adapter (port.ts); statements in sql-statements.ts.
 */
export async function createSqlTimelineCache(
  executor: SqlExecutor,
  options: SqlTimelineCacheOptions = {},
): Promise<SqlTimelineCache> {
  const { maxEntries, ttlSeconds, chunkSize, concurrency } = resolveOptions(options);
  const now = options.now ?? Date.now;
  const tables = cacheTables(options.tablePrefix ?? 'tl_cache');
  await ensureCacheSchema(executor, tables);
  const sql = sqlStatements(tables);
  const ttlMs = ttlSeconds * 1000;
  // A read refreshes the TTL only when less than 99% of it is left: an active reader's reads
  // then write nothing (a row update per home-timeline read would be most of the SQL work), and
  // a list expires at most 1% of the TTL early (about 3 h of 14 days).
  const refreshSlackMs = Math.floor(ttlMs / 100);

  /**
   * Runs a chunk's write statement. On PostgreSQL: in a transaction, after locking the chunk's
   * list rows in key order (see sql-statements.ts). PGlite runs one statement at a time anyway
   * (a single connection behind a mutex), so the statement alone is atomic and isolated there.
   */
  const writeChunk = async <Row>(chunk: readonly ListRef[], statement: string, params: readonly unknown[], lockNow: number | null) => {
    const kinds = chunk.map((l) => l.kind);
    const ids = chunk.map((l) => l.id);
    const run = (q: SqlQueryable) => q.query<Row>(statement, [kinds, ids, ...params]);
    if (executor.engine === 'pglite') return (await run(executor)).rows;
    return executor.transaction(async (tx) => {
      await tx.query(sql.lockLists, [kinds, ids, lockNow]);
      return (await run(tx)).rows;
    });
  };

  const cache: SqlTimelineCache = {
    maxEntries,
    ttlSeconds,

    // OfferOptions.newest is not used: one statement per chunk decides every list in one pass anyway.
    async offer(lists, entry) {
      assertEntry(entry);
      const at = now();
      const counts = await mapChunks(uniqueLists(lists), chunkSize, concurrency, async (chunk) => {
        const params = [entry.tweetId, entry.position, entry.retweetedBy, maxEntries, at];
        const rows = await writeChunk<{ held: number }>(chunk, sql.offer, params, at);
        return rows[0]?.held ?? 0;
      });
      return counts.reduce((a, b) => a + b, 0);
    },

    async withdraw(lists, tweetId, withdrawOptions?: WithdrawOptions) {
      assertWithdraw(tweetId, withdrawOptions);
      const at = now();
      const counts = await mapChunks(uniqueLists(lists), chunkSize, concurrency, async (chunk) => {
        const replacements = chunk.map((list) => withdrawOptions?.replacements?.get(listKey(list)));
        const params = [
          replacements.map((r) => r?.position ?? null),
          replacements.map((r) => r?.retweetedBy ?? null),
          tweetId,
          withdrawOptions?.onlyRetweetedBy ?? null,
          at,
        ];
        const rows = await writeChunk<{ removed: number }>(chunk, sql.withdraw, params, at);
        return rows[0]?.removed ?? 0;
      });
      return counts.reduce((a, b) => a + b, 0);
    },

    async store(list, entries: readonly TimelineEntry[], storeOptions: StoreOptions) {
      assertListRef(list);
      const { entries: kept, complete, pulls } = normaliseStore(entries, storeOptions, maxEntries);
      await executor.transaction(async (tx) => {
        // The upsert locks the list row first, so the delete below sees every committed offer.
        await tx.query(sql.storeList, [list.kind, list.id, complete, kept.length, pulls, now() + ttlMs]);
        await tx.query(sql.deleteEntriesOfList, [list.kind, list.id]);
        if (kept.length === 0) return;
        await tx.query(sql.insertEntries, [
          list.kind,
          list.id,
          kept.map((e) => e.tweetId),
          kept.map((e) => e.position),
          kept.map((e) => e.retweetedBy),
        ]);
      });
    },

    async drop(lists) {
      await mapChunks(uniqueLists(lists), chunkSize, concurrency, (chunk) => writeChunk(chunk, sql.drop, [], null));
    },

    async read(list, readOptions) {
      const [page] = await readLists([list], readOptions);
      return page ?? null;
    },

    readMany(lists, readOptions) {
      return readLists(lists, readOptions);
    },

    async purgeExpired(batch = 1000) {
      const { rows } = await executor.query<{ purged: number }>(sql.purgeExpired, [now(), batch]);
      return rows[0]?.purged ?? 0;
    },

    async clear() {
      await executor.transaction(async (tx) => {
        await tx.query(sql.clearEntries);
        await tx.query(sql.clearLists);
      });
    },
  };
  return cache;

  async function readLists(lists: readonly ListRef[], readOptions: ReadOptions): Promise<(ListPage | null)[]> {
    assertReadOptions(readOptions);
    lists.forEach(assertListRef);
    // The statement reads each distinct list once; results are mapped back to the order given.
    const unique = uniqueLists(lists);
    if (unique.length === 0) return [];
    const at = now();
    const { rows } = await executor.query<ReadRow>(sql.read, [
      unique.map((l) => l.kind),
      unique.map((l) => l.id),
      at,
      readOptions.before ?? null,
      readOptions.limit + 1,
    ]);
    const pages = new Map<string, { complete: boolean; pulls: string[]; fetched: TimelineEntry[] }>();
    const stale: ListRef[] = [];
    for (const row of rows) {
      const list = unique[row.ord - 1]!;
      const key = listKey(list);
      let page = pages.get(key);
      if (!page) {
        page = { complete: row.complete, pulls: row.pulls, fetched: [] };
        pages.set(key, page);
        if (row.expires_at < at + ttlMs - refreshSlackMs) stale.push(list);
      }
      if (row.tweet_id !== null && row.position !== null) {
        page.fetched.push({ tweetId: row.tweet_id, position: row.position, retweetedBy: row.retweeted_by });
      }
    }
    if (stale.length > 0) {
      await executor.query(sql.touch, [stale.map((l) => l.kind), stale.map((l) => l.id), at, at + ttlMs]);
    }
    return lists.map((list) => {
      const page = pages.get(listKey(list));
      if (!page) return null;
      // Fetched limit + 1: at most limit means nothing older than the page remains.
      return {
        entries: page.fetched.slice(0, readOptions.limit),
        reachedEnd: page.complete && page.fetched.length <= readOptions.limit,
        pulls: page.pulls,
      };
    });
  }
}
