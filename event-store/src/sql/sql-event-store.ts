import type { NewEvent, StoredEvent } from '@chirp/domain/envelope';
import {
  DuplicateEventError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type ReadStreamOptions,
  type SubscribeOptions,
  type Subscription,
} from '../port.ts';
import type { SqlExecutor, SqlQueryable } from './executor.ts';
import { EVENTS_PER_TRANSACTION, ensureEventStoreSchema } from './schema.ts';

export interface SqlEventStoreOptions {
  /**
   * How often a live subscription re-reads when no NOTIFY woke it; default 1000 ms. NOTIFY wakes
   * subscribers at once after every Chirp append; the poll covers what NOTIFY cannot announce: a
   * non-Chirp transaction that was holding back the visibility horizon ending, or notifications
   * lost while the LISTEN connection was reconnecting.
   */
  pollIntervalMs?: number;
}

/** The NOTIFY channel every append signals on (payload: position of its last event). */
export const EVENTS_CHANNEL = 'chirp_events';

const DEFAULT_BATCH_SIZE = 500;
/** While a NOTIFY announced a position that is not readable yet, re-read this often (doubling). */
const PENDING_RETRY_MIN_MS = 5;
const PENDING_RETRY_MAX_MS = 250;

/**
 * The visibility rule (docs/event-store.md): a reader sees only rows written by transactions
 * older than every transaction still running, i.e. below its snapshot's xmin. Those rows can no
 * longer change, and every row that may still appear has a larger position. The position bound
 * is the same condition (position >> 16 = transaction id) phrased so the primary-key index serves it.
 */
const VISIBLE = `transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  AND position < (pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${EVENTS_PER_TRANSACTION})`;

const EVENT_COLUMNS = `position, event_id::text AS event_id, stream_id, stream_revision, type, data, metadata,
  schema_version, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at`;

interface EventRow {
  position: number;
  event_id: string;
  stream_id: string;
  stream_revision: number;
  type: string;
  data: unknown;
  metadata: StoredEvent['metadata'];
  schema_version: number;
  occurred_at: string;
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    data: row.data,
    schemaVersion: row.schema_version,
    occurredAt: row.occurred_at,
    metadata: row.metadata,
    streamId: row.stream_id,
    streamRevision: row.stream_revision,
    position: row.position,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

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

/** Validates the batch and turns it into the one jsonb parameter the insert unpacks. */
function encodeEvents(events: readonly NewEvent[]): string {
  return JSON.stringify(
    events.map((event) => {
      if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) {
        throw new TypeError(`eventId must be a UUID, got ${String(event.eventId)}`);
      }
      if (typeof event.type !== 'string' || event.type === '') throw new TypeError('event type must be a non-empty string');
      if (!Number.isSafeInteger(event.schemaVersion)) {
        throw new TypeError(`schemaVersion must be an integer, got ${String(event.schemaVersion)}`);
      }
      const occurredAt = new Date(event.occurredAt);
      if (Number.isNaN(occurredAt.getTime())) throw new TypeError(`occurredAt is not a timestamp: ${event.occurredAt}`);
      return {
        eventId: event.eventId,
        type: event.type,
        data: event.data === undefined ? null : event.data,
        metadata: event.metadata,
        schemaVersion: event.schemaVersion,
        occurredAt: occurredAt.toISOString(),
      };
    }),
  );
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

/** One LISTEN per store, fanned out to its live subscriptions. */
class Notifier {
  private readonly listeners = new Set<(position: number | undefined) => void>();
  private starting: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private stopped = false;

  constructor(private readonly executor: SqlExecutor) {}

  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('event store is closed'));
    this.starting ??= this.executor
      .listen(EVENTS_CHANNEL, (payload) => {
        const position = Number(payload);
        const announced = payload !== '' && Number.isSafeInteger(position) ? position : undefined;
        for (const listener of [...this.listeners]) listener(announced);
      })
      .then(
        async (unlisten) => {
          if (this.stopped) await unlisten();
          else this.unlisten = unlisten;
        },
        (err: unknown) => {
          this.starting = undefined;
          throw err;
        },
      );
    return this.starting;
  }

  add(listener: (position: number | undefined) => void): void {
    this.listeners.add(listener);
  }

  remove(listener: (position: number | undefined) => void): void {
    this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listeners.clear();
    await this.starting?.catch(() => {});
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.().catch(() => {});
  }
}

interface ReadAll {
  (fromPosition: number, limit: number): Promise<StoredEvent[]>;
}

class SqlSubscription implements Subscription {
  private cursor: number;
  private closed = false;
  private started = false;
  /** A NOTIFY arrived since the current read began. */
  private dirty = false;
  /** Highest position a NOTIFY announced: when above the cursor, something is about to become visible. */
  private announced = 0;
  private wake: (() => void) | undefined;
  private reading: Promise<unknown> | undefined;

  constructor(
    fromPosition: number,
    private readonly batchSize: number,
    private readonly pollIntervalMs: number,
    private readonly readAll: ReadAll,
    private readonly notifier: Notifier,
    private readonly onEnd: (subscription: SqlSubscription) => void,
  ) {
    this.cursor = fromPosition;
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent[]> {
    if (this.started) throw new Error('a subscription can be iterated only once');
    this.started = true;
    return this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.onEnd(this);
    await this.reading?.catch(() => {});
  }

  private readonly onNotify = (position: number | undefined) => {
    this.dirty = true;
    if (position !== undefined && position > this.announced) this.announced = position;
    this.wake?.();
  };

  private async *run(): AsyncGenerator<StoredEvent[], void, undefined> {
    try {
      if (this.closed) return;
      // LISTEN before the first read, so nothing committed after that read goes unannounced.
      this.notifier.add(this.onNotify);
      await this.notifier.start();
      let pendingRetryMs = PENDING_RETRY_MIN_MS;
      while (!this.closed) {
        this.dirty = false;
        const read = this.readAll(this.cursor, this.batchSize);
        this.reading = read;
        const batch = await read;
        this.reading = undefined;
        if (this.closed) return;
        if (batch.length > 0) {
          this.cursor = batch[batch.length - 1]!.position;
          pendingRetryMs = PENDING_RETRY_MIN_MS;
          yield batch;
          if (batch.length === this.batchSize) continue;
        }
        if (this.dirty || this.closed) continue;
        if (this.announced > this.cursor) {
          // Committed but not readable yet: an older transaction still holds the horizon back.
          // Its end may not be announced (non-Chirp transaction), so re-read soon.
          await this.sleep(Math.min(pendingRetryMs, this.pollIntervalMs));
          pendingRetryMs = Math.min(pendingRetryMs * 2, PENDING_RETRY_MAX_MS);
        } else {
          pendingRetryMs = PENDING_RETRY_MIN_MS;
          await this.sleep(this.pollIntervalMs);
        }
      }
    } finally {
      this.closed = true;
      this.wake = undefined;
      this.notifier.remove(this.onNotify);
      this.onEnd(this);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/**
 * The event store on PostgreSQL or PGlite (whichever the executor speaks). Creates its tables if
 * missing. The executor stays the caller's: `close()` ends subscriptions and LISTEN, not the pool.
 */
export async function createSqlEventStore(executor: SqlExecutor, options: SqlEventStoreOptions = {}): Promise<EventStore> {
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  if (!(pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs must be positive, got ${pollIntervalMs}`);
  await ensureEventStoreSchema(executor);

  const notifier = new Notifier(executor);
  const subscriptions = new Set<SqlSubscription>();
  let closed = false;
  const open = () => {
    if (closed) throw new Error('event store is closed');
  };

  const readAll: ReadAll = async (fromPosition, limit) => {
    checkNonNegativeInteger('fromPosition', fromPosition);
    checkNonNegativeInteger('limit', limit);
    if (limit === 0) return [];
    const { rows } = await executor.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM chirp_events
        WHERE position > $1 AND ${VISIBLE}
        ORDER BY position LIMIT $2`,
      [fromPosition, limit],
    );
    return rows.map(toStoredEvent);
  };

  return {
    async append(streamId, events, expected) {
      open();
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
    },

    async readStream(streamId: string, readOptions: ReadStreamOptions = {}) {
      open();
      const fromRevision = readOptions.fromRevision ?? 0;
      checkNonNegativeInteger('fromRevision', fromRevision);
      if (readOptions.limit !== undefined) checkNonNegativeInteger('limit', readOptions.limit);
      const { rows } = await executor.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM chirp_events
          WHERE stream_id = $1 AND stream_revision >= $2
          ORDER BY stream_revision LIMIT $3`,
        [streamId, fromRevision, readOptions.limit ?? null],
      );
      return rows.map(toStoredEvent);
    },

    async readAll(fromPosition, limit) {
      open();
      return readAll(fromPosition, limit);
    },

    subscribe(fromPosition: number, subscribeOptions: SubscribeOptions = {}) {
      open();
      checkNonNegativeInteger('fromPosition', fromPosition);
      const batchSize = subscribeOptions.batchSize ?? DEFAULT_BATCH_SIZE;
      if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
      const subscription = new SqlSubscription(fromPosition, batchSize, pollIntervalMs, readAll, notifier, (s) =>
        subscriptions.delete(s),
      );
      subscriptions.add(subscription);
      return subscription;
    },

    async headPosition() {
      open();
      const { rows } = await executor.query<{ position: number }>(
        `SELECT position FROM chirp_events WHERE ${VISIBLE} ORDER BY position DESC LIMIT 1`,
      );
      return rows[0]?.position ?? 0;
    },

    async countAfter(position, cap) {
      open();
      checkNonNegativeInteger('position', position);
      checkNonNegativeInteger('cap', cap);
      if (cap === 0) return 0;
      const { rows } = await executor.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (
           SELECT 1 FROM chirp_events WHERE position > $1 AND ${VISIBLE} ORDER BY position LIMIT $2
         ) visible`,
        [position, cap],
      );
      return rows[0]?.n ?? 0;
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await notifier.stop();
    },
  };
}
