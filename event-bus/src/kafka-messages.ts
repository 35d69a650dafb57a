import { z } from 'zod';
import { EventMetadata, type StoredEvent } from '@chirp/domain/envelope';

/**
 * The wire format of Chirp events on Kafka, both directions, as pure functions (no kafkajs here:
 * the client library is replaceable, the format is not). docs/event-bus.md describes it.
 *
 * - key: the stream id, so Kafka's key → partition mapping keeps every stream's events in order;
 * - value: the whole envelope as UTF-8 JSON — the one source of truth a consumer decodes;
 * - headers: copies of the fields a consumer may want to route or filter by without parsing the
 *   value, plus `traceparent` (W3C trace context) when the command had one.
 */

/** Version of this wire format; a consumer refuses a message of a version it does not know. */
export const ENVELOPE_FORMAT_VERSION = '1';

export const HEADER = {
  formatVersion: 'chirp-envelope-version',
  contentType: 'content-type',
  eventId: 'chirp-event-id',
  eventType: 'chirp-event-type',
  position: 'chirp-position',
  streamRevision: 'chirp-stream-revision',
  schemaVersion: 'chirp-schema-version',
  traceparent: 'traceparent',
  /** Present only on relay position markers (toMarkerMessages): the position, decimal. */
  marker: 'chirp-marker',
} as const;

/** The key of every position marker: not a stream id (stream ids are `<kind>-<id>`), never compacted on. */
export const MARKER_KEY = 'chirp-marker';

/** A message to produce: all strings, so any Kafka client can send it as is. */
export interface OutgoingKafkaMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
  /** Set only on markers, which go to one explicit partition each; events are placed by their key. */
  partition?: number;
}

/** A header as Kafka clients hand it over (kafkajs: Buffer, string, or an array for repeated keys). */
export type ReceivedHeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined;

/** A consumed message, with where it was read from (named by every decoding error). */
export interface ReceivedKafkaMessage {
  topic: string;
  partition: number;
  /** Kafka offsets are int64; clients hand them over as decimal strings. */
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Readonly<Record<string, ReceivedHeaderValue>>;
}

/** A consumed message that is not a valid Chirp event; names exactly where it sits. */
export class MalformedKafkaMessageError extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    readonly detail: string,
  ) {
    super(`malformed Chirp event message in topic ${topic}, partition ${partition}, offset ${offset}: ${detail}`);
    this.name = 'MalformedKafkaMessageError';
  }
}

/** StoredEvent → message. The value keeps a fixed field order, so equal events give equal bytes. */
export function toKafkaMessage(event: StoredEvent): OutgoingKafkaMessage {
  const envelope: StoredEvent = {
    eventId: event.eventId,
    type: event.type,
    streamId: event.streamId,
    streamRevision: event.streamRevision,
    position: event.position,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    // The store turns an absent payload into null; so does the wire (JSON has no undefined).
    data: event.data === undefined ? null : event.data,
    metadata: event.metadata,
  };
  const headers: Record<string, string> = {
    [HEADER.formatVersion]: ENVELOPE_FORMAT_VERSION,
    [HEADER.contentType]: 'application/json',
    [HEADER.eventId]: event.eventId,
    [HEADER.eventType]: event.type,
    [HEADER.position]: String(event.position),
    [HEADER.streamRevision]: String(event.streamRevision),
    [HEADER.schemaVersion]: String(event.schemaVersion),
  };
  if (event.metadata.traceparent) headers[HEADER.traceparent] = event.metadata.traceparent;
  return { key: event.streamId, value: JSON.stringify(envelope), headers };
}

const nonNegativeInt = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * The value's shape. Metadata keys this version does not know are kept (`loose`), exactly as the
 * event store keeps them, so a newer producer's metadata survives an older consumer.
 */
const EnvelopeValue = z.compile(
  z.object({
    eventId: z.string().min(1),
    type: z.string().min(1),
    streamId: z.string().min(1),
    streamRevision: nonNegativeInt,
    position: nonNegativeInt,
    schemaVersion: z.number().int(),
    occurredAt: z.string().min(1),
    data: z.unknown().refine((d) => d !== undefined, 'is required (null for no payload)'),
    metadata: EventMetadata.loose(),
  }),
);

/**
 * Message → StoredEvent. The value is decoded and validated; the key and the headers, which are
 * copies, must agree with it (a disagreement means a producer other than the relay, or a bug, and
 * trusting either side would be a guess). Throws MalformedKafkaMessageError naming
 * topic/partition/offset.
 */
export function fromKafkaMessage(message: ReceivedKafkaMessage): StoredEvent {
  const fail = (detail: string): never => {
    throw new MalformedKafkaMessageError(message.topic, message.partition, message.offset, detail);
  };
  const headers = readHeaders(message.headers ?? {}, fail);
  const version = headers.get(HEADER.formatVersion);
  if (version !== undefined && version !== ENVELOPE_FORMAT_VERSION) {
    fail(`envelope format version ${version} is not supported (this consumer reads version ${ENVELOPE_FORMAT_VERSION})`);
  }
  if (message.value === null) return fail('the value is empty (a tombstone?): expected a JSON event envelope');
  let json: unknown;
  try {
    json = JSON.parse(asText(message.value));
  } catch (error) {
    return fail(`the value is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = EnvelopeValue.safeParse(json);
  if (!parsed.success) {
    return fail(parsed.error.issues.map((i) => `value.${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const v = parsed.data;
  const event: StoredEvent = {
    eventId: v.eventId,
    type: v.type,
    data: v.data,
    schemaVersion: v.schemaVersion,
    occurredAt: v.occurredAt,
    metadata: v.metadata,
    streamId: v.streamId,
    streamRevision: v.streamRevision,
    position: v.position,
  };

  const key = message.key === null ? null : asText(message.key);
  if (key !== event.streamId) fail(`the key ${JSON.stringify(key)} is not the stream id ${JSON.stringify(event.streamId)} of the value`);
  const expected: Array<[string, string | undefined]> = [
    [HEADER.eventId, event.eventId],
    [HEADER.eventType, event.type],
    [HEADER.position, String(event.position)],
    [HEADER.streamRevision, String(event.streamRevision)],
    [HEADER.schemaVersion, String(event.schemaVersion)],
    [HEADER.traceparent, event.metadata.traceparent],
  ];
  for (const [name, value] of expected) {
    const header = headers.get(name);
    // Headers are optional copies (a hand-made message may lack them); a present one must agree.
    if (header !== undefined && header !== value) {
      fail(`header ${name} is ${JSON.stringify(header)} but the value says ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
    }
  }
  return event;
}

/** Headers as single strings; a repeated header is ambiguous, so it is refused. */
function readHeaders(raw: Readonly<Record<string, ReceivedHeaderValue>>, fail: (detail: string) => never): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length !== 1) fail(`header ${name} appears ${value.length} times`);
      headers.set(name, asText(value[0] as Buffer | string));
    } else {
      headers.set(name, asText(value as Buffer | string));
    }
  }
  return headers;
}

function asText(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

/**
 * Position markers (docs/event-bus.md, "The consumer side"): after the broker acknowledged a batch
 * ending at `position`, the relay sends one marker carrying it to EVERY partition. Within a
 * partition it then follows every event ≤ position and precedes every later one, so a consumer
 * that applied marker P in every partition has applied every event ≤ P. A re-sent marker is
 * harmless: consumers keep the highest one they saw.
 */
export function toMarkerMessages(position: number, partitionCount: number): OutgoingKafkaMessage[] {
  if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`marker position must be a non-negative safe integer, not ${position}`);
  if (!Number.isInteger(partitionCount) || partitionCount < 1) throw new RangeError(`partition count must be a positive integer, not ${partitionCount}`);
  const value = JSON.stringify({ marker: true, position });
  const headers = { [HEADER.formatVersion]: ENVELOPE_FORMAT_VERSION, [HEADER.contentType]: 'application/json', [HEADER.marker]: String(position) };
  return Array.from({ length: partitionCount }, (_, partition) => ({ key: MARKER_KEY, value, headers: { ...headers }, partition }));
}

/** What one record of the topic is: an event, or a relay position marker. */
export type KafkaRecord = { kind: 'event'; event: StoredEvent } | { kind: 'marker'; position: number };

const MarkerValue = z.compile(z.object({ marker: z.literal(true), position: nonNegativeInt }));

/**
 * Record → event or marker. A record is a marker when it carries the `chirp-marker` header; its
 * key, header and value must then agree (as for events, a disagreement is not guessed around).
 * Anything else is decoded as an event (fromKafkaMessage). Throws MalformedKafkaMessageError
 * naming topic/partition/offset.
 */
export function decodeKafkaRecord(message: ReceivedKafkaMessage): KafkaRecord {
  const fail = (detail: string): never => {
    throw new MalformedKafkaMessageError(message.topic, message.partition, message.offset, detail);
  };
  const headers = readHeaders(message.headers ?? {}, fail);
  const header = headers.get(HEADER.marker);
  if (header === undefined) return { kind: 'event', event: fromKafkaMessage(message) };
  const version = headers.get(HEADER.formatVersion);
  if (version !== undefined && version !== ENVELOPE_FORMAT_VERSION) {
    fail(`envelope format version ${version} is not supported (this consumer reads version ${ENVELOPE_FORMAT_VERSION})`);
  }
  const key = message.key === null ? null : asText(message.key);
  if (key !== null && key !== MARKER_KEY) fail(`a position marker has the key ${JSON.stringify(key)} (expected ${JSON.stringify(MARKER_KEY)} or none)`);
  if (message.value === null) return fail('a position marker has an empty value');
  let json: unknown;
  try {
    json = JSON.parse(asText(message.value));
  } catch (error) {
    return fail(`the marker value is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = MarkerValue.safeParse(json);
  if (!parsed.success) return fail(parsed.error.issues.map((i) => `marker value.${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  if (header !== String(parsed.data.position)) fail(`header ${HEADER.marker} is ${JSON.stringify(header)} but the marker value says ${parsed.data.position}`);
  return { kind: 'marker', position: parsed.data.position };
}
