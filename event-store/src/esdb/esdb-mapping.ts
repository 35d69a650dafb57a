import { z } from 'zod';
import { EventMetadata, type NewEvent, type StoredEvent } from '@chirp/domain/envelope';
import { CorruptEventError, type ExpectedRevision } from '../port.ts';

/**
 * Pure translations between the port and EventStoreDB's shapes. Nothing here imports the client:
 * the shapes below are structural copies of what `esdb-client.ts` hands over, so the move to
 * `@kurrent/kurrentdb-client` touches only that file (docs/event-store.md, "EventStoreDB").
 */

/** EventStoreDB's $all position: two byte offsets into its transaction log. */
export interface EsdbPosition {
  commit: bigint;
  prepare: bigint;
}

/**
 * What the client's append takes as `expectedRevision` (KurrentDB: `streamState`). The strings
 * are the values of the client's ANY / NO_STREAM / STREAM_EXISTS constants.
 */
export type EsdbExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** A stream's current revision as EventStoreDB reports it in a WrongExpectedVersionError. */
export type EsdbCurrentRevision = 'no_stream' | bigint;

/** Where a forward read of $all begins (inclusive), in the client's terms. */
export type EsdbReadStart = 'start' | EsdbPosition;

/** An event as the client hands it out, reduced to what the adapter reads. */
export interface EsdbRecord {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  /** Always present on $all reads; on stream reads only from servers newer than 22.6. */
  position?: EsdbPosition | undefined;
}

/** An event as the client's append takes it (`jsonEvent` output, already built). */
export interface EsdbEventData {
  id: string;
  type: string;
  data: unknown;
  metadata: StoredMetadataJson;
}

// ---------------------------------------------------------------------------------------------
// Expected and actual revisions: one to one.

export function toEsdbExpectedRevision(expected: ExpectedRevision): EsdbExpectedRevision {
  switch (expected) {
    case 'any':
    case 'no_stream':
    case 'stream_exists':
      return expected;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new RangeError(`expected revision must be 'any', 'no_stream', 'stream_exists' or a revision >= 0, got ${String(expected)}`);
      }
      return BigInt(expected);
  }
}

/** The port's `actual`: the revision of the stream's last event, -1 when there is no stream. */
export function fromEsdbCurrentRevision(current: EsdbCurrentRevision): number {
  return current === 'no_stream' ? -1 : toSafeNumber(current, 'stream revision');
}

// ---------------------------------------------------------------------------------------------
// Positions.
//
// The port's number is the event's PREPARE position: the byte offset of the event's own record
// in the log. Why not the commit position: the two are equal for every event written by an
// implicit transaction (all gRPC appends, single or multi-event: the server gives each event
// (its log position, its log position)), but events of a transaction committed by a separate
// commit record (the legacy TCP API's explicit transactions, old data) share the commit record's
// position and differ only in prepare. The prepare position is unique per event in both cases,
// and it orders events as $all does whenever transactions are contiguous in the log, which every
// implicit transaction is (the single writer writes one append's records back to back). The one
// case it cannot order is interleaved legacy explicit transactions; see docs/event-store.md.
//
// Both offsets must stay below 2^53 (8 PiB of log) to be exact as JS numbers; beyond that the
// conversion throws instead of handing out a rounded, colliding position.

export function positionToNumber(position: EsdbPosition): number {
  return toSafeNumber(position.prepare, 'log position');
}

/**
 * Where a forward read must start so that it returns every event after `position` (the server's
 * forward read is inclusive, so the event AT `position` comes back too and the caller drops it).
 * Position 0 is the start of the log; any other number is taken as a record's log position, which
 * is what every number this adapter hands out is (event positions, heads, append results).
 */
export function readStartAfter(position: number): EsdbReadStart {
  if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`position must be a non-negative integer, got ${position}`);
  if (position === 0) return 'start';
  const at = BigInt(position);
  return { commit: at, prepare: at };
}

/**
 * A record boundary at or before `position` for when `position` is not one (a caller computed it,
 * e.g. `position - 1`, and the server refused to read there): the start of its chunk. Chunks
 * begin with a record; a scavenged chunk is read from the closest record after the position.
 */
export function chunkStartOf(position: number, chunkSizeBytes: number): EsdbReadStart {
  const start = position - (position % chunkSizeBytes);
  return start === 0 ? 'start' : { commit: BigInt(start), prepare: BigInt(start) };
}

/** Orders positions as $all does: commit, then prepare. */
export function compareEsdbPositions(a: EsdbPosition, b: EsdbPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

function toSafeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${what} ${value} does not fit a safe JS number (must stay below 2^53)`);
  }
  return Number(value);
}

// ---------------------------------------------------------------------------------------------
// System events.

/**
 * EventStoreDB's own events ($metadata, link events `$>`, `$statsCollected`, projection
 * checkpoints…) have `$`-prefixed types; the port's global reads never show them. Same rule as
 * the client's `excludeSystemEvents()` filter, which subscriptions use server-side.
 */
export function isSystemEventType(type: string): boolean {
  return type.startsWith('$');
}

// ---------------------------------------------------------------------------------------------
// Events and metadata.

/**
 * The key in an event's metadata that carries the envelope fields EventStoreDB has no place for:
 * its `created` is the server's clock, not when the command was decided. Every other metadata key
 * is the envelope's metadata, unchanged (correlationId, causationId, actorUserId, traceparent).
 */
export const ENVELOPE_KEY = 'chirpEnvelope';

export interface StoredMetadataJson extends Record<string, unknown> {
  [ENVELOPE_KEY]: { schemaVersion: number; occurredAt: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Metadata as the domain defines it; unknown keys kept, as the SQL adapter does. */
const StoredMetadata = EventMetadata.loose();
const EnvelopeFields = z.object({ schemaVersion: z.number().int(), occurredAt: z.string().min(1) });

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`).join('; ');
}

/** Validates one event (same rules as the SQL adapter) and builds what the client appends. */
export function toEsdbEvent(event: NewEvent): EsdbEventData {
  if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) throw new TypeError(`eventId must be a UUID, got ${String(event.eventId)}`);
  if (typeof event.type !== 'string' || event.type === '') throw new TypeError('event type must be a non-empty string');
  if (isSystemEventType(event.type)) throw new TypeError(`event type must not start with '$' (reserved for EventStoreDB), got ${event.type}`);
  if (!Number.isSafeInteger(event.schemaVersion)) throw new TypeError(`schemaVersion must be an integer, got ${String(event.schemaVersion)}`);
  const occurredAt = new Date(event.occurredAt);
  if (Number.isNaN(occurredAt.getTime())) throw new TypeError(`occurredAt is not a timestamp: ${event.occurredAt}`);
  const metadata = StoredMetadata.safeParse(event.metadata);
  if (!metadata.success) throw new TypeError(`metadata of event ${event.eventId} is not valid: ${issues(metadata.error)}`);
  return {
    id: event.eventId,
    type: event.type,
    data: event.data === undefined ? null : event.data,
    metadata: toEsdbMetadata(event.metadata, event.schemaVersion, occurredAt.toISOString()),
  };
}

/** Envelope metadata → event metadata: the envelope's keys unchanged, plus ENVELOPE_KEY. */
export function toEsdbMetadata(metadata: EventMetadata, schemaVersion: number, occurredAt: string): StoredMetadataJson {
  return { ...metadata, [ENVELOPE_KEY]: { schemaVersion, occurredAt } };
}

/** Event metadata → envelope metadata and the envelope fields; throws a description of what is wrong. */
export function fromEsdbMetadata(raw: unknown): { metadata: EventMetadata; schemaVersion: number; occurredAt: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('metadata: expected a JSON object');
  const { [ENVELOPE_KEY]: envelope, ...rest } = raw as Record<string, unknown>;
  const fields = EnvelopeFields.safeParse(envelope);
  if (!fields.success) throw new Error(`metadata.${ENVELOPE_KEY}: ${issues(fields.error)}`);
  const metadata = StoredMetadata.safeParse(rest);
  if (!metadata.success) throw new Error(`metadata: ${issues(metadata.error)}`);
  return { metadata: metadata.data, ...fields.data };
}

/**
 * A read event → the port's StoredEvent. `position` is required: $all reads always carry it; a
 * stream read from a server too old to send it cannot produce a StoredEvent.
 */
export function toStoredEvent(record: EsdbRecord): StoredEvent {
  const position = record.position === undefined ? null : positionToNumber(record.position);
  const fail = (detail: string) => new CorruptEventError(position, record.streamId, detail);
  if (position === null) throw fail('the server did not report the event’s log position (EventStoreDB 22.6 or newer is required)');
  if (!record.isJson) throw fail('data: not a JSON event');
  let decoded: ReturnType<typeof fromEsdbMetadata>;
  try {
    decoded = fromEsdbMetadata(record.metadata);
  } catch (err) {
    throw fail((err as Error).message);
  }
  return {
    eventId: record.id,
    type: record.type,
    data: record.data,
    schemaVersion: decoded.schemaVersion,
    occurredAt: decoded.occurredAt,
    metadata: decoded.metadata,
    streamId: record.streamId,
    streamRevision: toSafeNumber(record.revision, 'stream revision'),
    position,
  };
}
