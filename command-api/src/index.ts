export { createCommandApi, type CommandApiOptions } from './app.ts';
export { createSqlIdempotencyStore, type SqlIdempotencyStoreOptions } from './idempotency/sql-idempotency-store.ts';
export type { IdempotencyStore } from './idempotency/idempotency-store.ts';
export { registerUser, type Registration } from './register-user.ts';
export { loadStream, type CommandDeps } from './stream-command.ts';
