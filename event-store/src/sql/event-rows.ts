import { z } from 'zod';
import { EventMetadata, type NewEvent, type StoredEvent } from '@chirp/domain/envelope';
import { CorruptEventError } from '../port.ts';

/**
 * The two directions between events and `chirp_events` rows: `encodeEvents` validates a batch and
 * packs it into the one jsonb parameter the append's INSERT unpacks; `decodeEventRows` checks rows
 * read back (selected with EVENT_COLUMNS) and turns them into stored events.
 */

/** The columns every read selects, in the shape `EventRow` checks. */
export const EVENT_COLUMNS = `position, event_id::text AS event_id, stream_id, stream_revision, type, data, metadata,
  schema_version, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at`;

/**
 * Metadata as the domain defines it. Keys it does not know are kept (`loose`), so metadata a
 * newer writer added survives a read by older code.
 */
const StoredMetadata = EventMetadata.loose();

/**
 * A row as the executors hand it over (int8 already a safe JS number, jsonb already parsed). The
 * column types and NOT NULLs make most of this true by construction; what they cannot vouch for is
 * the jsonb `metadata` and a SELECT list drifting from this shape. Compiled (`z.compile`): on valid
 * rows it costs well under a microsecond, so readAll stays cheap; invalid rows take zod's regular
 * path, which words the error.
 */
const EventRow = z.compile(
  z.object({
    position: z.number().int().nonnegative(),
    event_id: z.string().min(1),
    stream_id: z.string().min(1),
    stream_revision: z.number().int().nonnegative(),
    type: z.string().min(1),
    data: z.unknown(),
    metadata: StoredMetadata,
    schema_version: z.number().int(),
    occurred_at: z.string().min(1),
  }),
);

/** A row's validation issues in one line (`column: problem; …`), for errors that name a corrupt row. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(row)'}: ${issue.message}`).join('; ');
}

/** One row → a stored event; a row that does not fit throws CorruptEventError naming its position. */
export function decodeEventRow(raw: unknown): StoredEvent {
  const parsed = EventRow.safeParse(raw);
  if (!parsed.success) {
    const row = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const position = typeof row.position === 'number' ? row.position : null;
    const streamId = typeof row.stream_id === 'string' ? row.stream_id : null;
    throw new CorruptEventError(position, streamId, describeIssues(parsed.error));
  }
  const row = parsed.data;
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

export function decodeEventRows(rows: readonly unknown[]): StoredEvent[] {
  return rows.map(decodeEventRow);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validates the batch and turns it into the one jsonb parameter the insert unpacks. Whatever is
 * refused here would be refused on the way out as well: a row the store cannot read back would
 * stop every reader of the log at its position.
 */
export function encodeEvents(events: readonly NewEvent[]): string {
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
      const metadata = StoredMetadata.safeParse(event.metadata);
      if (!metadata.success) {
        throw new TypeError(`metadata of event ${event.eventId} is not valid: ${describeIssues(metadata.error)}`);
      }
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
