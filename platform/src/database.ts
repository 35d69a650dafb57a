import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  createEsdbEventStore,
  createSqlEventStore,
  openPgExecutor,
  tracedEventStore,
  openPgliteExecutor,
  redactEsdbUrl,
  type EventStore,
  type SqlExecutor,
} from '@chirp/event-store';
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
  const postgres = `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
  if (!config.CHIRP_EVENTSTORE_URL) return postgres;
  return `events on EventStoreDB ${redactEsdbUrl(config.CHIRP_EVENTSTORE_URL)}, read models on ${postgres}`;
}

/**
 * PostgreSQL when CHIRP_DATABASE_URL is set, otherwise embedded PGlite in CHIRP_DATA_DIR, locked
 * to this process for as long as it is open. The event store and the read models share the
 * database, so a projection's writes and its checkpoint commit together. With CHIRP_EVENTSTORE_URL
 * the event store is EventStoreDB and the executor stays PostgreSQL: read models and checkpoints
 * still commit together there; the log is the only thing that moves.
 */
export async function openDatabase(config: Config): Promise<Database> {
  const description = describeDatabase(config);
  if (config.CHIRP_DATABASE_URL) {
    const executor = await openPgExecutor(config.CHIRP_DATABASE_URL, { idleInTransactionTimeoutMs: config.CHIRP_IDLE_IN_TRANSACTION_TIMEOUT_MS });
    const eventStoreUrl = config.CHIRP_EVENTSTORE_URL;
    // createEsdbEventStore fails within seconds, naming the URL, when EventStoreDB is unreachable.
    const openStore = eventStoreUrl ? () => createEsdbEventStore(eventStoreUrl) : () => createSqlEventStore(executor);
    return withStore(executor, openStore, description, async () => {});
  }
  const lock = lockDataDir(config.CHIRP_DATA_DIR);
  try {
    const dir = resolve(config.CHIRP_DATA_DIR, 'pglite');
    mkdirSync(dir, { recursive: true });
    const executor = await openPgliteExecutor(dir);
    return await withStore(executor, () => createSqlEventStore(executor), description, async () => lock.release());
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function withStore(
  executor: SqlExecutor,
  openStore: () => Promise<EventStore>,
  description: string,
  afterClose: () => Promise<void>,
): Promise<Database> {
  let store: EventStore;
  try {
    store = tracedEventStore(await openStore());
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
