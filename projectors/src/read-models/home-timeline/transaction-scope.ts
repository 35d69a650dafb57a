import { AsyncLocalStorage } from 'node:async_hooks';
import type { SqlExecutor, SqlQueryable } from '@chirp/event-store/sql/executor';

/**
 * The transaction the home-timeline code is running in (a projection batch, or a rebuild), for a
 * SQL timeline cache on the projection's own database: `transactionBoundExecutor(executor)` is an
 * executor whose statements run on that transaction while there is one, and on `executor`
 * otherwise. So in embedded mode a batch's cache writes commit or roll back with the batch (no
 * drift at all), and on PGlite — one connection — the cache does not wait for the batch that
 * called it (which would deadlock). A Redis cache ignores all this.
 *
 * Only valid when the cache's executor is on the same database as the projection.
 */
const current = new AsyncLocalStorage<SqlQueryable>();

export function inTransaction<T>(tx: SqlQueryable, fn: () => Promise<T>): Promise<T> {
  return current.run(tx, fn);
}

export function transactionBoundExecutor(executor: SqlExecutor): SqlExecutor {
  return {
    engine: executor.engine,
    query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]) {
      const tx = current.getStore();
      return tx ? tx.query<Row>(text, params) : executor.query<Row>(text, params);
    },
    transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const tx = current.getStore();
      // Already in one: the caller's statements simply join it.
      return tx ? fn(tx) : executor.transaction((inner) => current.run(inner, () => fn(inner)));
    },
    listen: (channel, onNotify) => executor.listen(channel, onNotify),
    /** The base executor belongs to its opener: closing this view closes nothing. */
    close: async () => {},
  };
}
