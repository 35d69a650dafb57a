import type { NewEvent } from '@chirp/domain/envelope';
import { EVENTS_CHANNEL, EVENTS_PER_TRANSACTION, type SqlQueryable } from '@chirp/event-store';
import { encodeEvents } from '@chirp/event-store/sql/event-rows';

/**
 * Many NEW single-event streams in one statement set — the generator's fast path.
 *
 * `appendInTransaction` is one statement per stream (the store's `chirp_append` function); a
 * follow is a stream of its own, so ~700k follows are ~700k statements. This does, for a batch of
 * streams that must not exist yet, what that function does for one, set-based:
 *
 * - the streams' rows are inserted (revision 0); one that already exists aborts the batch, as
 *   `no_stream` would;
 * - positions are the store's: `pg_current_xact_id() * 65536 + ordinal`, the ordinal continuing
 *   after whatever this transaction appended before (the same slot query), `transaction_id` is
 *   `pg_current_xact_id()` — and the table's CHECK (`position >> 16 = transaction_id`) and unique
 *   keys make the database itself refuse a row that would break the store's rules;
 * - payloads go through the store's own `encodeEvents` (id, type, timestamp and metadata checks);
 * - one NOTIFY with the last position, as an append sends.
 *
 * So readers see these rows exactly as if the command API had written them (visibility is by
 * `transaction_id`, which the database assigns). `--append-path=store` uses appendInTransaction
 * instead, for machines where that is fast enough.
 */
export async function appendNewStreams(tx: SqlQueryable, items: ReadonlyArray<{ streamId: string; event: NewEvent }>): Promise<number> {
  if (items.length === 0) return 0;
  const streamIds = items.map((i) => i.streamId);
  const payload = encodeEvents(items.map((i) => i.event));

  const created = await tx.query(
    `INSERT INTO chirp_streams (stream_id, revision) SELECT s, 0 FROM unnest($1::text[]) AS s ON CONFLICT (stream_id) DO NOTHING`,
    [streamIds],
  );
  if (created.rowCount !== items.length) throw new Error(`bulk append: ${items.length - created.rowCount} of ${items.length} streams already exist`);

  const slot = await tx.query<{ base: number; next_ordinal: number }>(
    `SELECT x.base,
            coalesce((SELECT max(position) FROM chirp_events
                       WHERE position >= x.base AND position < x.base + ${EVENTS_PER_TRANSACTION}) - x.base + 1, 0) AS next_ordinal
       FROM (SELECT pg_current_xact_id()::text::bigint * ${EVENTS_PER_TRANSACTION} AS base) x`,
  );
  const { base, next_ordinal: nextOrdinal } = slot.rows[0]!;
  if (nextOrdinal + items.length > EVENTS_PER_TRANSACTION) throw new RangeError(`bulk append: more than ${EVENTS_PER_TRANSACTION} events in one transaction`);
  const first = base + nextOrdinal;

  await tx.query(
    `INSERT INTO chirp_events
       (position, transaction_id, event_id, stream_id, stream_revision, type, data, metadata, schema_version, occurred_at)
     SELECT $1::bigint + e.n - 1, pg_current_xact_id(), (e.v ->> 'eventId')::uuid, s.id, 0,
            e.v ->> 'type', e.v -> 'data', e.v -> 'metadata', (e.v ->> 'schemaVersion')::int,
            (e.v ->> 'occurredAt')::timestamptz
       FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(v, n)
       JOIN unnest($3::text[]) WITH ORDINALITY AS s(id, n) ON s.n = e.n`,
    [first, payload, streamIds],
  );
  const last = first + items.length - 1;
  await tx.query(`SELECT pg_notify('${EVENTS_CHANNEL}', $1)`, [String(last)]);
  return last;
}
