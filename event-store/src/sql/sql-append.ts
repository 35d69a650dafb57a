import type { NewEvent } from '@chirp/domain/envelope';
import { DuplicateEventError, WrongExpectedRevisionError, type AppendResult, type ExpectedRevision } from '../port.ts';
import { EVENTS_CHANNEL } from './event-notifier.ts';
import { encodeEvents } from './event-rows.ts';
import type { SqlExecutor, SqlQueryable } from './executor.ts';
import { EVENTS_PER_TRANSACTION } from './schema.ts';

/**
 * The append (docs/event-store.md, "Append"): stream lock, duplicate check, expectation check,
 * positions from the transaction id, insert, NOTIFY — and the mapping of the database's unique
 * violations onto the port's typed errors.
 */

function checkExpected(expected: ExpectedRevision): void {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0) {
    throw new RangeError(`expected revision must be 'any', 'no_stream', 'stream_exists' or a revision >= 0, got ${String(expected)}`);
  }
}

/** Whether a stream whose last event has revision `actual` (-1: no stream) satisfies `expected`. */
function satisfies(expected: ExpectedRevision, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1;
    case 'stream_exists':
      return actual >= 0;
    default:
      return actual === expected;
  }
}

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

function isUniqueViolation(err: unknown): err is PgError {
  return typeof err === 'object' && err !== null && (err as PgError).code === '23505';
}

function duplicateFromError(err: PgError, events: readonly NewEvent[]): DuplicateEventError {
  const match = /\(event_id\)=\(([^)]+)\)/.exec(err.detail ?? '');
  const id = match?.[1];
  const given = id ? events.find((e) => e.eventId.toLowerCase() === id.toLowerCase())?.eventId : undefined;
  return new DuplicateEventError(given ?? id ?? events[0]?.eventId ?? 'unknown');
}

async function currentRevision(db: SqlQueryable, streamId: string): Promise<number> {
  const { rows } = await db.query<{ revision: number }>(`SELECT revision FROM chirp_streams WHERE stream_id = $1`, [streamId]);
  return rows[0]?.revision ?? -1;
}

/**
 * Appends inside a transaction the caller owns (the port's `append` wraps this in one of its own).
 * Several calls in one transaction are fine: their events get consecutive positions. Nothing is
 * visible to readers, and no NOTIFY is delivered, until the caller commits. A unique violation
 * (duplicate event id) aborts the caller's transaction; it is thrown as DuplicateEventError.
 */
export async function appendInTransaction(
  tx: SqlQueryable,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  try {
    return await appendWithin(tx, streamId, events, expected);
  } catch (err) {
    if (isUniqueViolation(err) && err.constraint === 'chirp_events_event_id_key') throw duplicateFromError(err, events);
    throw err;
  }
}

/** The port's append: one transaction of its own; a lost race is reported as the typed error. */
export async function appendInOwnTransaction(
  executor: SqlExecutor,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  try {
    return await executor.transaction((tx) => appendWithin(tx, streamId, events, expected));
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    if (err.constraint === 'chirp_events_event_id_key') throw duplicateFromError(err, events);
    // The stream moved under us (a concurrent creator or writer won): report where it is now.
    if (err.constraint === 'chirp_streams_pkey' || err.constraint === 'chirp_events_stream_revision_key') {
      throw new WrongExpectedRevisionError(streamId, expected, await currentRevision(executor, streamId));
    }
    throw err;
  }
}

async function appendWithin(
  tx: SqlQueryable,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  if (typeof streamId !== 'string' || streamId === '') throw new TypeError('streamId must be a non-empty string');
  checkExpected(expected);
  if (events.length === 0) return emptyAppend(tx, streamId, expected);
  if (events.length > EVENTS_PER_TRANSACTION) {
    throw new RangeError(`at most ${EVENTS_PER_TRANSACTION} events per transaction, got ${events.length}`);
  }
  const payload = encodeEvents(events);
  const count = events.length;

  // 1. Lock the stream row: appends to one stream queue here, and in READ COMMITTED each one then
  //    reads the revision its predecessor committed.
  const locked = await tx.query<{ revision: number }>(
    `SELECT revision FROM chirp_streams WHERE stream_id = $1 FOR UPDATE`,
    [streamId],
  );
  let actual = locked.rows[0]?.revision ?? -1;
  let created = false;
  if (!locked.rows[0] && satisfies(expected, -1)) {
    // A new stream. ON CONFLICT waits for a concurrent creator and then does nothing, leaving
    // this transaction usable: we then lock the row that creator committed and check against it.
    const inserted = await tx.query(
      `INSERT INTO chirp_streams (stream_id, revision) VALUES ($1, $2)
       ON CONFLICT (stream_id) DO NOTHING RETURNING revision`,
      [streamId, count - 1],
    );
    if (inserted.rowCount === 1) {
      created = true;
    } else {
      const relocked = await tx.query<{ revision: number }>(
        `SELECT revision FROM chirp_streams WHERE stream_id = $1 FOR UPDATE`,
        [streamId],
      );
      actual = relocked.rows[0]?.revision ?? -1;
    }
  }

  // 2. A retry of an append that already succeeded is reported as such, whatever it expected.
  //    (Checked after the lock, so a retry racing its original sees the original committed.)
  const duplicate = await tx.query<{ event_id: string }>(
    `SELECT event_id::text AS event_id FROM chirp_events
      WHERE event_id IN (SELECT (e ->> 'eventId')::uuid FROM jsonb_array_elements($1::jsonb) AS e)
      LIMIT 1`,
    [payload],
  );
  if (duplicate.rows[0]) throw duplicateFromError({ detail: `(event_id)=(${duplicate.rows[0].event_id})` }, events);

  if (!created && !satisfies(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
  const firstRevision = actual + 1;
  const nextRevision = actual + count;

  // 3. Positions: this transaction's xid in the high bits, an ordinal in the low 16 bits,
  //    continuing after whatever this transaction appended before.
  const slot = await tx.query<{ base: number; next_ordinal: number }>(
    `SELECT x.base,
            coalesce((SELECT max(position) FROM chirp_events
                       WHERE position >= x.base AND position < x.base + ${EVENTS_PER_TRANSACTION}) - x.base + 1, 0) AS next_ordinal
       FROM (SELECT pg_current_xact_id()::text::bigint * ${EVENTS_PER_TRANSACTION} AS base) x`,
  );
  const { base, next_ordinal: nextOrdinal } = slot.rows[0]!;
  if (nextOrdinal + count > EVENTS_PER_TRANSACTION) {
    throw new RangeError(
      `one transaction may append at most ${EVENTS_PER_TRANSACTION} events (${nextOrdinal} already, ${count} more asked)`,
    );
  }
  const firstPosition = base + nextOrdinal;
  const lastPosition = firstPosition + count - 1;
  if (!Number.isSafeInteger(lastPosition)) throw new RangeError(`position ${lastPosition} is beyond 2^53`);

  await tx.query(
    `INSERT INTO chirp_events
       (position, transaction_id, event_id, stream_id, stream_revision, type, data, metadata, schema_version, occurred_at)
     SELECT $1::bigint + e.n - 1, pg_current_xact_id(), (e.v ->> 'eventId')::uuid, $2, $3::bigint + e.n - 1,
            e.v ->> 'type', e.v -> 'data', e.v -> 'metadata', (e.v ->> 'schemaVersion')::int,
            (e.v ->> 'occurredAt')::timestamptz
       FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(v, n)`,
    [firstPosition, streamId, firstRevision, payload],
  );
  if (!created) {
    await tx.query(`UPDATE chirp_streams SET revision = $2 WHERE stream_id = $1`, [streamId, nextRevision]);
  }
  await tx.query(`SELECT pg_notify('${EVENTS_CHANNEL}', $1)`, [String(lastPosition)]);
  return { position: lastPosition, nextRevision };
}

async function emptyAppend(db: SqlQueryable, streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
  const { rows } = await db.query<{ revision: number; position: number | null }>(
    `SELECT s.revision, e.position
       FROM chirp_streams s
       LEFT JOIN chirp_events e ON e.stream_id = s.stream_id AND e.stream_revision = s.revision
      WHERE s.stream_id = $1`,
    [streamId],
  );
  const actual = rows[0]?.revision ?? -1;
  if (!satisfies(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
  return { position: rows[0]?.position ?? 0, nextRevision: actual };
}
