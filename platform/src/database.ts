import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createSqlEventStore, openPgExecutor, openPgliteExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import type { Config } from './config.ts';

export interface Database {
  executor: SqlExecutor;
  store: EventStore;
  /** Where the data lives, for the start-up banner (never includes a password). */
  description: string;
  close(): Promise<void>;
}

/**
 * PostgreSQL when CHIRP_DATABASE_URL is set, otherwise embedded PGlite in CHIRP_DATA_DIR.
 * The event store and the read models share the database, so a projection's writes and its
 * checkpoint commit together.
 */
export async function openDatabase(config: Config): Promise<Database> {
  let executor: SqlExecutor;
  let description: string;
  if (config.CHIRP_DATABASE_URL) {
    executor = await openPgExecutor(config.CHIRP_DATABASE_URL, { idleInTransactionTimeoutMs: config.CHIRP_IDLE_IN_TRANSACTION_TIMEOUT_MS });
    const url = new URL(config.CHIRP_DATABASE_URL);
    description = `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
  } else {
    const dir = resolve(config.CHIRP_DATA_DIR, 'pglite');
    mkdirSync(dir, { recursive: true });
    executor = await openPgliteExecutor(dir);
    description = `embedded PGlite in ${join(resolve(config.CHIRP_DATA_DIR), 'pglite')}`;
  }
  const store = await createSqlEventStore(executor);
  return {
    executor,
    store,
    description,
    async close() {
      await store.close();
      await executor.close();
    },
  };
}
