/**
 * The one seam between Chirp's SQL and the database engine. Both PostgreSQL (over `pg`) and
 * embedded PGlite implement it, so the event store and every read model are one SQL module each.
 * int8 columns come back as JS numbers (checked to be safe integers) on both engines.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface SqlQueryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

export interface SqlExecutor extends SqlQueryable {
  readonly engine: 'postgres' | 'pglite';
  /** Runs fn in one transaction: commit on success, rollback on throw. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Calls onNotify for each NOTIFY on the channel; resolves to an unlisten function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
