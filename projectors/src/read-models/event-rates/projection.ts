import type { StoredEvent } from '@chirp/domain/envelope';
import { eventTypes } from '@chirp/domain/events';
import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { runDdl } from '../../ddl.ts';
import type { Projection } from '../../projection.ts';
import { EVENT_RATES_NAME, EVENT_RATES_TABLES, EVENT_RATES_VERSION, eventRatesDdl, eventRatesTables as t } from './schema.ts';

const MINUTE_MS = 60_000;

/** What counting reads of an event: its envelope, never its payload (the projection is envelopeOnly). */
type Counted = Pick<StoredEvent, 'position' | 'type' | 'occurredAt'>;

/** The UTC minute an event was decided in, as an ISO string (computed here: no session time zone involved). */
export function minuteOf(occurredAt: string): string {
  return new Date(Math.floor(Date.parse(occurredAt) / MINUTE_MS) * MINUTE_MS).toISOString();
}

/**
 * A run of events of any types, in one statement: the positions not counted before are recorded
 * (`ON CONFLICT DO NOTHING RETURNING` yields exactly those), and only they are added to their
 * (minute, type) counters, one upsert for the whole run. A redelivered event — a duplicate in the
 * batch, or one counted in an earlier batch — is left out, so the counters equal the one-by-one
 * path's under any redelivery.
 */
async function countRun(tx: SqlQueryable, events: readonly Counted[]): Promise<void> {
  const byPosition = new Map(events.map((e) => [e.position, e]));
  const positions = [...byPosition.keys()];
  await tx.query(
    `WITH fresh AS (
       INSERT INTO ${t.counted} (position) SELECT unnest($1::bigint[])
       ON CONFLICT (position) DO NOTHING RETURNING position
     )
     INSERT INTO ${t.rates} AS r (minute, type, events)
     SELECT b.minute, b.type, count(*)
       FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS b(position, minute, type)
       JOIN fresh USING (position)
      GROUP BY b.minute, b.type
     ON CONFLICT (minute, type) DO UPDATE SET events = r.events + EXCLUDED.events`,
    [positions, positions.map((p) => minuteOf(byPosition.get(p)!.occurredAt)), positions.map((p) => byPosition.get(p)!.type)],
  );
}

/**
 * Every type of the catalogue, counted from the envelope alone: a whole batch is one run. Not
 * built with defineProjection, whose handlers are per type and read payloads.
 */
export const eventRatesProjection: Projection = {
  name: EVENT_RATES_NAME,
  version: EVENT_RATES_VERSION,
  readsTables: EVENT_RATES_TABLES,
  handles: eventTypes,
  envelopeOnly: true,
  setup: (db) => runDdl(db, eventRatesDdl),
  apply: (tx, event) => countRun(tx, [event]),
  applyBatch: (tx, events) => countRun(tx, events),
};
