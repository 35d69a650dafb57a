import type { StoredEvent } from '@chirp/domain/envelope';
import { isTransientEsdbError, type EsdbConnection } from './esdb-client.ts';
import {
  chunkStartOf,
  isSystemEventType,
  positionToNumber,
  readStartAfter,
  toStoredEvent,
  type EsdbPosition,
  type EsdbReadStart,
  type EsdbRecord,
} from './esdb-mapping.ts';
import type { CatchUpPage } from './esdb-subscription.ts';

/**
 * The global reads over $all: readAll, countAfter, headPosition. $all carries EventStoreDB's own
 * events too, and `readAll` of client 6.2.1 takes no filter, so pages are read unfiltered and
 * system events dropped here, reading on until `limit` of the port's events are found or $all ends.
 */

/** Server page size: at least this, so a run of system events costs few round trips. */
const MIN_PAGE = 64;
const MAX_PAGE = 4_096;

export interface ScanOptions {
  /** See EsdbEventStoreOptions.chunkSizeBytes. */
  chunkSizeBytes: number;
}

export function checkNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

/**
 * Visits the non-system records after `afterPosition` in $all order until `visit` returns true or
 * $all ends; returns the last record passed (any type), a valid start for a later read.
 */
async function scanAfter(
  connection: EsdbConnection,
  afterPosition: number,
  want: number,
  options: ScanOptions,
  visit: (record: EsdbRecord, position: number) => boolean,
): Promise<EsdbReadStart | undefined> {
  const pageSize = Math.min(Math.max(want + 1, MIN_PAGE), MAX_PAGE);
  let floor = afterPosition;
  let last: EsdbReadStart | undefined;
  let page = await firstPage(connection, afterPosition, pageSize, options);
  for (;;) {
    for (const record of page) {
      if (record.position === undefined) throw new Error(`$all returned event ${record.id} without a position`);
      last = record.position;
      const position = positionToNumber(record.position);
      // The forward read is inclusive (the record at the start comes back), and a read from a
      // chunk start begins before the position asked for: neither is "after".
      if (position <= floor) continue;
      floor = position;
      if (isSystemEventType(record.type)) continue;
      if (visit(record, position)) return last;
    }
    if (page.length < pageSize || last === undefined) return last;
    page = await connection.readAllForward(last, pageSize);
  }
}

/**
 * The first page after a position. Numbers this adapter hands out are record positions, which the
 * server reads from directly; a number computed by a caller (`position - 1`) is not, and the server
 * refuses to read there — then read from the start of its chunk, which always is a record.
 */
async function firstPage(connection: EsdbConnection, afterPosition: number, pageSize: number, options: ScanOptions): Promise<EsdbRecord[]> {
  const start = readStartAfter(afterPosition);
  try {
    return await connection.readAllForward(start, pageSize);
  } catch (error) {
    if (start === 'start' || isTransientEsdbError(error)) throw error;
    const fallback = chunkStartOf(afterPosition, options.chunkSizeBytes);
    try {
      return await connection.readAllForward(fallback, pageSize);
    } catch {
      throw error; // the first error says what went wrong at the position asked for
    }
  }
}

export async function readAllPage(connection: EsdbConnection, afterPosition: number, limit: number, options: ScanOptions): Promise<CatchUpPage> {
  checkNonNegativeInteger('fromPosition', afterPosition);
  checkNonNegativeInteger('limit', limit);
  const events: StoredEvent[] = [];
  if (limit === 0) return { events, lastRecord: undefined };
  const lastRecord = await scanAfter(connection, afterPosition, limit, options, (record) => {
    events.push(toStoredEvent(record));
    return events.length >= limit;
  });
  return { events, lastRecord };
}

export async function countEventsAfter(connection: EsdbConnection, position: number, cap: number, options: ScanOptions): Promise<number> {
  checkNonNegativeInteger('position', position);
  checkNonNegativeInteger('cap', cap);
  if (cap === 0) return 0;
  let n = 0;
  await scanAfter(connection, position, cap, options, () => ++n >= cap);
  return n;
}

/**
 * The newest `limit` of the port's events, in $all order: pages read backwards from the end, system
 * events dropped, until enough are found or $all begins. A backward read is inclusive of its start,
 * so each later page starts at the last record seen and skips it.
 */
export async function readLatestEvents(connection: EsdbConnection, limit: number): Promise<StoredEvent[]> {
  checkNonNegativeInteger('limit', limit);
  const newestFirst: StoredEvent[] = [];
  if (limit === 0) return newestFirst;
  const pageSize = Math.min(Math.max(limit + 1, MIN_PAGE), MAX_PAGE);
  let from: 'end' | EsdbPosition = 'end';
  let below = Number.POSITIVE_INFINITY;
  for (;;) {
    const page = await connection.readAllBackward(from, pageSize);
    for (const record of page) {
      if (record.position === undefined) throw new Error(`$all returned event ${record.id} without a position`);
      const position = positionToNumber(record.position);
      if (position >= below) continue;
      below = position;
      from = record.position;
      if (isSystemEventType(record.type)) continue;
      newestFirst.push(toStoredEvent(record));
      if (newestFirst.length >= limit) return newestFirst.reverse();
    }
    if (page.length < pageSize) return newestFirst.reverse();
  }
}

/**
 * The newest record of $all, whatever its type: every event appended later has a larger position,
 * so it is a correct consistency token and "nothing after it" is exactly what readAll returns.
 */
export async function headPositionOf(connection: EsdbConnection): Promise<number> {
  const last = await connection.readAllLastPosition();
  return last === undefined ? 0 : positionToNumber(last);
}
