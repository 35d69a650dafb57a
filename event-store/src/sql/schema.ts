import { APPEND_FUNCTION_DDL } from './append-function.ts';
import type { SqlExecutor } from './executor.ts';

export { EVENTS_PER_TRANSACTION } from './append-function.ts';

/**
 * The event store's tables and its append function. Idempotent; statements are separate because
 * PGlite's extended-protocol `query` takes one statement at a time.
 *
 * - `chirp_events.position` = xid * 65536 + ordinal-in-transaction (see docs/event-store.md); the
 *   CHECK keeps the column and `transaction_id` in agreement whoever writes the row.
 * - `chirp_streams` holds one row per stream that has events: the row lock serialises appends to a
 *   stream and `revision` is the revision of its last event.
 * - Readers scan the primary key (`position`) only; `unique (stream_id, stream_revision)` serves
 *   readStream and backs up the stream lock.
 * - The append function (append-function.ts) is replaced on every setup, so a database created by
 *   an older release gets it; its name carries its version.
 */
export const SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS chirp_streams (
     stream_id text PRIMARY KEY,
     revision bigint NOT NULL CHECK (revision >= 0)
   )`,
  `CREATE TABLE IF NOT EXISTS chirp_events (
     position bigint PRIMARY KEY,
     transaction_id xid8 NOT NULL,
     event_id uuid NOT NULL UNIQUE,
     stream_id text NOT NULL,
     stream_revision bigint NOT NULL CHECK (stream_revision >= 0),
     type text NOT NULL,
     data jsonb NOT NULL,
     metadata jsonb NOT NULL,
     schema_version int NOT NULL,
     occurred_at timestamptz NOT NULL,
     CONSTRAINT chirp_events_stream_revision_key UNIQUE (stream_id, stream_revision),
     CONSTRAINT chirp_events_position_matches_xid CHECK ((position >> 16) = transaction_id::text::bigint)
   )`,
  APPEND_FUNCTION_DDL,
];

/** Creates the tables if missing and (re)creates the append function. Concurrent callers on one database are serialised by an advisory lock. */
export async function ensureEventStoreSchema(executor: SqlExecutor): Promise<void> {
  await executor.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('chirp_event_store_schema'))`);
    for (const statement of SCHEMA_STATEMENTS) await tx.query(statement);
  });
}
