import pg from 'pg';
import type { QueryResult, SqlExecutor, SqlQueryable } from './executor.ts';
import { INT8_OID, parseSafeInteger } from './int8.ts';
import { PgListener } from './pg-listener.ts';

export interface PgExecutorOptions {
  /** Pool size; default 10. */
  maxConnections?: number;
  /**
   * `idle_in_transaction_session_timeout` set on every pooled session, in ms; default 60000.
   * A transaction left open by a crashed or stuck caller holds back every reader of the event
   * log (see docs/event-store.md); the server terminates such a session after this long.
   * 0 disables the timeout.
   */
  idleInTransactionTimeoutMs?: number;
}

/** Type parsers for this executor only: the process-wide `pg.types` registry stays untouched. */
const chirpTypes = {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    if ((format === undefined || format === 'text') && oid === INT8_OID) return parseSafeInteger;
    return pg.types.getTypeParser(oid, (format ?? 'text') as 'text') as (value: string) => unknown;
  },
};

function toResult<Row>(result: pg.QueryResult): QueryResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
}

/**
 * A SqlExecutor over a `pg.Pool`. int8 comes back as JS numbers (throwing beyond 2^53), every
 * session runs with `idle_in_transaction_session_timeout`, and `listen` shares one dedicated
 * connection that re-LISTENs after it drops.
 */
export async function openPgExecutor(url: string, options: PgExecutorOptions = {}): Promise<SqlExecutor> {
  const idleMs = options.idleInTransactionTimeoutMs ?? 60_000;
  if (!Number.isInteger(idleMs) || idleMs < 0) {
    throw new RangeError(`idleInTransactionTimeoutMs must be a non-negative integer, got ${idleMs}`);
  }
  const sessionOptions = `-c idle_in_transaction_session_timeout=${idleMs}`;
  const clientConfig: pg.ClientConfig = {
    connectionString: url,
    options: sessionOptions,
    types: chirpTypes as unknown as pg.CustomTypesConfig,
    keepAlive: true,
  };
  const pool = new pg.Pool({ ...clientConfig, max: options.maxConnections ?? 10 });
  // An idle pooled client whose connection dies emits 'error' on the pool; without a listener
  // that would crash the process. The pool discards the client by itself.
  pool.on('error', () => {});

  // Fail fast on a bad URL instead of on the first query.
  const probe = await pool.connect();
  probe.release();

  let closed = false;
  const listener = new PgListener(clientConfig);

  const executor: SqlExecutor = {
    engine: 'postgres',

    async query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      return toResult<Row>(await pool.query(text, params as unknown[] | undefined));
    },

    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // While checked out, the pool does not listen for the client's 'error' events; a session
      // killed by the idle-in-transaction timeout emits one with no query running. Record it so
      // the client is destroyed instead of going back to the pool.
      let connectionError: Error | undefined;
      const onError = (err: Error) => {
        connectionError ??= err;
      };
      client.on('error', onError);
      let releaseError: Error | undefined;
      let fnFailed = false;
      try {
        await client.query('BEGIN');
        const tx: SqlQueryable = {
          async query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]) {
            return toResult<Row>(await client.query(text, params as unknown[] | undefined));
          },
        };
        let result: T;
        try {
          result = await fn(tx);
        } catch (err) {
          fnFailed = true;
          try {
            await client.query('ROLLBACK');
          } catch (rollbackError) {
            releaseError = rollbackError as Error;
          }
          throw err;
        }
        try {
          await client.query('COMMIT');
        } catch (err) {
          releaseError = err as Error;
          throw err;
        }
        return result;
      } catch (err) {
        // BEGIN or COMMIT failing means the connection is suspect: do not pool it again.
        if (!fnFailed) releaseError ??= err as Error;
        releaseError ??= connectionError;
        throw err;
      } finally {
        client.off('error', onError);
        client.release(releaseError ?? connectionError);
      }
    },

    listen(channel: string, onNotify: (payload: string) => void) {
      if (closed) return Promise.reject(new Error('executor is closed'));
      return listener.add(channel, onNotify);
    },

    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      await pool.end();
    },
  };
  return executor;
}
