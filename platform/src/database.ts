import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSqlEventStore, openPgExecutor, openPgliteExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import type { Config } from './config.ts';
import { lockDataDir } from './data-dir-lock.ts';

export interface Database {
  executor: SqlExecutor;
  store: EventStore;
  /** Where the data lives, for the start-up banner (never includes a password). */
  description: string;
  close(): Promise<void>;
}

/** Where the configuration points, for messages: known before anything is opened. */
export function describeDatabase(config: Config): string {
  if (!config.CHIRP_DATABASE_URL) return `embedded PGlite in ${resolve(config.CHIRP_DATA_DIR, 'pglite')}`;
  const url = new URL(config.CHIRP_DATABASE_URL);
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/**
 * PostgreSQL when CHIRP_DATABASE_URL is set, otherwise embedded PGlite in CHIRP_DATA_DIR, locked
 * to this process for as long as it is open. The event store and the read models share the
 * database, so a projection's writes and its checkpoint commit together.
 */
export async function openDatabase(config: Config): Promise<Database> {
  const description = describeDatabase(config);
  if (config.CHIRP_DATABASE_URL) {
    const executor = await openPgExecutor(config.CHIRP_DATABASE_URL, { idleInTransactionTimeoutMs: config.CHIRP_IDLE_IN_TRANSACTION_TIMEOUT_MS });
    return withStore(executor, description, async () => {});
  }
  const lock = lockDataDir(config.CHIRP_DATA_DIR);
  try {
    const dir = resolve(config.CHIRP_DATA_DIR, 'pglite');
    mkdirSync(dir, { recursive: true });
    const executor = await openPgliteExecutor(dir);
    return await withStore(executor, description, async () => lock.release());
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function withStore(executor: SqlExecutor, description: string, afterClose: () => Promise<void>): Promise<Database> {
  let store: EventStore;
  try {
    store = await createSqlEventStore(executor);
  } catch (error) {
    await executor.close().catch(() => {});
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    executor,
    store,
    description,
    close() {
      closing ??= (async () => {
        try {
          await store.close();
          await executor.close();
        } finally {
          await afterClose();
        }
      })();
      return closing;
    },
  };
}
