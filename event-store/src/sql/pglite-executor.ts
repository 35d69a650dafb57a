import { AsyncLocalStorage } from 'node:async_hooks';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGlite, type Results } from '@electric-sql/pglite';
import type { QueryResult, SqlExecutor, SqlQueryable } from './executor.ts';
import { INT8_OID, parseSafeInteger } from './int8.ts';

function toResult<Row>(result: Results<Row>): QueryResult<Row> {
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}

/** A FIFO mutex: each task gets the connection to itself, in arrival order. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => {});
    return result;
  }
  drain(): Promise<void> {
    return this.tail.then(() => {});
  }
}

/**
 * A SqlExecutor over an in-process PGlite (`'memory://'` for a throwaway in-memory database, or
 * a directory). PGlite is a single connection, so every query and every transaction runs alone,
 * in arrival order: a transaction has the connection to itself from BEGIN to COMMIT and plain
 * queries wait for it. Calling the executor (not the `tx` argument) inside `transaction()` would
 * wait for itself forever, so it throws instead.
 */
export async function openPgliteExecutor(dataDir: string): Promise<SqlExecutor> {
  const db = await PGlite.create(dataDir, {
    parsers: { [INT8_OID]: parseSafeInteger },
    // Fuzzy user search (the search read model) uses trigrams where the database has them.
    extensions: { pg_trgm },
  });
  const mutex = new Mutex();
  const inTransaction = new AsyncLocalStorage<true>();
  let closed = false;

  const guard = (what: string) => {
    if (closed) throw new Error('executor is closed');
    if (inTransaction.getStore()) {
      throw new Error(
        `${what} called on the PGlite executor inside its own transaction(): use the tx argument ` +
          '(PGlite has one connection, so this would wait for itself forever)',
      );
    }
  };

  return {
    engine: 'pglite',

    async query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      guard('query()');
      return mutex.run(async () => toResult(await db.query<Row>(text, params as unknown[] | undefined)));
    },

    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      guard('transaction()');
      return mutex.run(() =>
        db.transaction((pgTx) =>
          inTransaction.run(true, () => {
            const tx: SqlQueryable = {
              async query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]) {
                return toResult(await pgTx.query<Row>(text, params as unknown[] | undefined));
              },
            };
            return fn(tx);
          }),
        ),
      );
    },

    async listen(channel: string, onNotify: (payload: string) => void) {
      guard('listen()');
      const unlisten = await mutex.run(() => db.listen(channel, onNotify));
      let removed = false;
      return async () => {
        if (removed || closed) return;
        removed = true;
        await mutex.run(() => unlisten());
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      await mutex.drain();
      await db.close();
    },
  };
}
