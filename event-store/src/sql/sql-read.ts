import type { StoredEvent } from '@chirp/domain/envelope';
import { decodeEventRows, EVENT_COLUMNS } from './event-rows.ts';
import type { SqlQueryable } from './executor.ts';
import { EVENTS_PER_TRANSACTION } from './schema.ts';

/**
 * The store's reads. Every global read (readAll, headPosition, countAfter — and so subscriptions)
 * applies the visibility rule; readStream does not need it (a stream's revisions are assigned
 * under its row lock, so they commit in order).
 */

/**
 * The visibility rule (docs/event-store.md): a reader sees only rows written by transactions
 * older than every transaction still running, i.e. below its snapshot's xmin. Those rows can no
 * longer change, and every row that may still appear has a larger position. The position bound
 * is the same condition (position >> 16 = transaction id) phrased so the primary-key index serves it.
 */
const VISIBLE = `transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  AND position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${EVENTS_PER_TRANSACTION})`;

export function checkNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

/** Visible events with position > fromPosition, in position order, at most `limit`. */
export async function readAllEvents(db: SqlQueryable, fromPosition: number, limit: number): Promise<StoredEvent[]> {
  checkNonNegativeInteger('fromPosition', fromPosition);
  checkNonNegativeInteger('limit', limit);
  if (limit === 0) return [];
  const { rows } = await db.query(
    `SELECT ${EVENT_COLUMNS} FROM chirp_events
      WHERE position > $1 AND ${VISIBLE}
      ORDER BY position LIMIT $2`,
    [fromPosition, limit],
  );
  return decodeEventRows(rows);
}

/** The newest `limit` visible events, in position order. */
export async function readLatestEvents(db: SqlQueryable, limit: number): Promise<StoredEvent[]> {
  checkNonNegativeInteger('limit', limit);
  if (limit === 0) return [];
  const { rows } = await db.query(`SELECT ${EVENT_COLUMNS} FROM chirp_events WHERE ${VISIBLE} ORDER BY position DESC LIMIT $1`, [limit]);
  return decodeEventRows(rows).reverse();
}

export async function readStreamEvents(
  db: SqlQueryable,
  streamId: string,
  fromRevision: number,
  limit: number | undefined,
): Promise<StoredEvent[]> {
  checkNonNegativeInteger('fromRevision', fromRevision);
  if (limit !== undefined) checkNonNegativeInteger('limit', limit);
  const { rows } = await db.query(
    `SELECT ${EVENT_COLUMNS} FROM chirp_events
      WHERE stream_id = $1 AND stream_revision >= $2
      ORDER BY stream_revision LIMIT $3`,
    [streamId, fromRevision, limit ?? null],
  );
  return decodeEventRows(rows);
}

export async function visibleHeadPosition(db: SqlQueryable): Promise<number> {
  const { rows } = await db.query<{ position: number }>(
    `SELECT position FROM chirp_events WHERE ${VISIBLE} ORDER BY position DESC LIMIT 1`,
  );
  return rows[0]?.position ?? 0;
}

export async function countVisibleAfter(db: SqlQueryable, position: number, cap: number): Promise<number> {
  checkNonNegativeInteger('position', position);
  checkNonNegativeInteger('cap', cap);
  if (cap === 0) return 0;
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT 1 FROM chirp_events WHERE position > $1 AND ${VISIBLE} ORDER BY position LIMIT $2
     ) visible`,
    [position, cap],
  );
  return rows[0]?.n ?? 0;
}
