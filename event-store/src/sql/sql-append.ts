import type { NewEvent } from '@chirp/domain/envelope';
import { DuplicateEventError, satisfiesExpected, WrongExpectedRevisionError, type AppendResult, type ExpectedRevision } from '../port.ts';
import { APPEND_FUNCTION, BOUND_EXCEEDED_SQLSTATE, EVENTS_PER_TRANSACTION, type AppendOutcome } from './append-function.ts';
import { EVENTS_CHANNEL } from './event-notifier.ts';
import { encodeEvents } from './event-rows.ts';
import type { SqlExecutor, SqlQueryable } from './executor.ts';

/**
 * The append (docs/event-store.md, "Append"): argument checks here, the rest in one call of the
 * PL/pgSQL function (append-function.ts) — one round trip — and the mapping of its outcomes and
 * errors onto the port's typed errors; for the port's append, the NOTIFY after it.
 */

function checkExpected(expected: ExpectedRevision): void {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0) {
    throw new RangeError(`expected revision must be 'any', 'no_stream', 'stream_exists' or a revision >= 0, got ${String(expected)}`);
  }
}

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
  message?: string;
}

function isPgError(err: unknown): err is PgError {
  return typeof err === 'object' && err !== null && typeof (err as PgError).code === 'string';
}

/** The id as the caller spelled it (the database hands it back lower-case). */
function duplicateOf(id: string | undefined, events: readonly NewEvent[]): DuplicateEventError {
  const given = id ? events.find((e) => e.eventId.toLowerCase() === id.toLowerCase())?.eventId : undefined;
  return new DuplicateEventError(given ?? id ?? events[0]?.eventId ?? 'unknown');
}

interface AppendRow {
  outcome: AppendOutcome;
  last_position: number | null;
  current_revision: number | null;
  duplicate_event_id: string | null;
}

/**
 * Appends inside a transaction the caller owns, as one more statement of it: several appends in
 * one transaction get consecutive positions; nothing is visible, and the NOTIFY is not delivered,
 * until the caller commits. A wrong expected revision or a duplicate id found up front leaves the
 * caller's transaction usable and without a trace; a duplicate id the INSERT runs into (repeated
 * inside the batch, or being appended concurrently) and a broken bound abort it.
 */
export function appendInTransaction(
  tx: SqlQueryable,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  return appendStatement(tx, streamId, events, expected, true);
}

/**
 * The port's append: one statement, which is its own transaction (no BEGIN/COMMIT round trips),
 * then the NOTIFY in a statement of its own, not awaited.
 *
 * Why not NOTIFY inside the append: PostgreSQL serialises the commits of all notifying
 * transactions behind one lock held until the commit is flushed to disk, so appends that notify
 * cannot share a WAL flush and top out at one append per flush (docs/event-store.md, "Append").
 * The separate NOTIFY commits with `synchronous_commit` off — a notification need not survive a
 * crash — so it holds that lock for microseconds. It is sent right after the append committed; if
 * it is lost (the process dies in between, the query fails), subscriptions find the events on
 * their next poll, as after any lost notification.
 */
export async function appendAndAnnounce(
  executor: SqlExecutor,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  const result = await appendStatement(executor, streamId, events, expected, false);
  if (events.length > 0) {
    executor
      .query(`SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`, [EVENTS_CHANNEL, String(result.position)])
      .catch(() => {}); // covered by the subscriptions' poll, see above
  }
  return result;
}

async function appendStatement(
  db: SqlQueryable,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  notify: boolean,
): Promise<AppendResult> {
  if (typeof streamId !== 'string' || streamId === '') throw new TypeError('streamId must be a non-empty string');
  checkExpected(expected);
  if (events.length === 0) return emptyAppend(db, streamId, expected);
  if (events.length > EVENTS_PER_TRANSACTION) {
    throw new RangeError(`at most ${EVENTS_PER_TRANSACTION} events per transaction, got ${events.length}`);
  }
  const payload = encodeEvents(events);
  const kind = typeof expected === 'number' ? 'exact' : expected;
  const revision = typeof expected === 'number' ? expected : null;

  let row: AppendRow;
  try {
    const { rows } = await db.query<AppendRow>(
      `SELECT outcome, last_position, current_revision, duplicate_event_id FROM ${APPEND_FUNCTION}($1, $2, $3, $4::jsonb, $5)`,
      [streamId, kind, revision, payload, notify],
    );
    row = rows[0]!;
  } catch (err) {
    if (!isPgError(err)) throw err;
    if (err.code === BOUND_EXCEEDED_SQLSTATE) throw new RangeError(err.message);
    if (err.code === '23505' && err.constraint === 'chirp_events_event_id_key') {
      throw duplicateOf(/\(event_id\)=\(([^)]+)\)/.exec(err.detail ?? '')?.[1], events);
    }
    throw err;
  }
  switch (row.outcome) {
    case 'appended':
      return { position: row.last_position!, nextRevision: row.current_revision! };
    case 'wrong_revision':
      throw new WrongExpectedRevisionError(streamId, expected, row.current_revision!);
    case 'duplicate':
      throw duplicateOf(row.duplicate_event_id ?? undefined, events);
  }
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
  if (!satisfiesExpected(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
  return { position: rows[0]?.position ?? 0, nextRevision: actual };
}
