import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { isoSql, toNumber } from '../../sql-values.ts';
import { eventRatesTables as t } from './schema.ts';

const MINUTE_MS = 60_000;
/** The longest window one read may ask for: 31 days of minutes. */
export const MAX_EVENT_RATE_MINUTES = 31 * 24 * 60;

export interface EventRateBucket {
  /** The minute's start, ISO-8601 UTC. */
  minute: string;
  /** Events per type decided in that minute; types without events are absent. */
  counts: Record<string, number>;
}

export interface EventRates {
  /** Every type with events in the window, sorted. */
  types: string[];
  /** One bucket per minute of the window, empty minutes included, oldest first. */
  buckets: EventRateBucket[];
}

/**
 * Events per type per UTC minute, for the minutes starting in [from, to): `from` is rounded down
 * to its minute, so every bucket is a whole minute.
 */
export async function readEventRates(db: SqlQueryable, range: { from: Date; to: Date }): Promise<EventRates> {
  const first = Math.floor(range.from.getTime() / MINUTE_MS) * MINUTE_MS;
  const end = range.to.getTime();
  if (!(end > first)) throw new RangeError('readEventRates: from must be before to');
  const minutes = Math.ceil((end - first) / MINUTE_MS);
  if (minutes > MAX_EVENT_RATE_MINUTES) throw new RangeError(`readEventRates: at most ${MAX_EVENT_RATE_MINUTES} minutes at once, asked for ${minutes}`);
  const { rows } = await db.query<{ minute: string; type: string; events: unknown }>(
    `SELECT ${isoSql('minute')} AS minute, type, events FROM ${t.rates} WHERE minute >= $1 AND minute < $2 ORDER BY minute, type`,
    [new Date(first).toISOString(), range.to.toISOString()],
  );
  const buckets = Array.from({ length: minutes }, (_, i): EventRateBucket => ({ minute: new Date(first + i * MINUTE_MS).toISOString(), counts: {} }));
  const types = new Set<string>();
  for (const row of rows) {
    buckets[(Date.parse(row.minute) - first) / MINUTE_MS]!.counts[row.type] = toNumber(row.events);
    types.add(row.type);
  }
  return { types: [...types].sort(), buckets };
}
