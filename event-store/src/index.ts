export * from './port.ts';
export type { QueryResult, SqlExecutor, SqlQueryable } from './sql/executor.ts';
export { openPgExecutor, type PgExecutorOptions } from './sql/pg-executor.ts';
export { openPgliteExecutor } from './sql/pglite-executor.ts';
export { ensureEventStoreSchema, EVENTS_PER_TRANSACTION } from './sql/schema.ts';
export {
  appendInTransaction,
  createSqlEventStore,
  EVENTS_CHANNEL,
  type SqlEventStoreOptions,
} from './sql/sql-event-store.ts';
export { createEsdbEventStore, redactEsdbUrl, type EsdbEventStoreOptions } from './esdb/esdb-event-store.ts';
export { tracedEventStore } from './traced-store.ts';
