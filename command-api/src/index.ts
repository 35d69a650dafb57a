export { createCommandApi, type CommandApiOptions } from './app.ts';
export { createSqlIdempotencyStore, type SqlIdempotencyStoreOptions } from './idempotency/sql-idempotency-store.ts';
export type { IdempotencyStore } from './idempotency/idempotency-store.ts';
