import type { SqlExecutor, SqlQueryable } from '@chirp/event-store/sql/executor';

/**
 * Where a projection is rebuilt beside the live one: a PostgreSQL schema of its own. Projections
 * name their tables unqualified (`rm_search_tweets`), so running their own code with
 * `search_path = <shadow>, public` creates and writes the same tables — and its own checkpoint
 * table — in the shadow schema, while the live tables in `public` keep serving. Works the same on
 * PGlite.
 */
export function shadowSchemaOf(projectionName: string): string {
  return `chirp_shadow_${projectionName.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
}

/**
 * For the rest of the transaction, unqualified names resolve in `schema` first (or only in
 * `public` with null). LOCAL: the setting ends with the transaction, so a pooled connection goes
 * back clean.
 */
export async function searchShadowFirst(tx: SqlQueryable, schema: string | null): Promise<void> {
  await tx.query(`SET LOCAL search_path TO ${schema === null ? 'public' : `${schema}, public`}`);
}

/** An executor whose every statement runs with the shadow schema first on the search path. */
export function inShadowSchema(executor: SqlExecutor, schema: string): SqlExecutor {
  const transaction = <T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> =>
    executor.transaction(async (tx) => {
      await searchShadowFirst(tx, schema);
      return fn(tx);
    });
  return {
    engine: executor.engine,
    transaction,
    query: (text, params) => transaction((tx) => tx.query(text, params)),
    listen: (channel, onNotify) => executor.listen(channel, onNotify),
    // The base executor belongs to its opener.
    close: async () => {},
  };
}
