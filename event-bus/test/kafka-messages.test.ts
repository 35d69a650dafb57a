import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StoredEvent } from '@chirp/domain/envelope';
import {
  decodeKafkaRecord,
  ENVELOPE_FORMAT_VERSION,
  MARKER_KEY,
  toMarkerMessages,
  fromKafkaMessage,
  HEADER,
  MalformedKafkaMessageError,
  toKafkaMessage,
  type OutgoingKafkaMessage,
  type ReceivedKafkaMessage,
} from '../src/kafka-messages.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function event(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    eventId: '0193a0e2-7d3c-7c1e-9a51-3b8f1f0c2d4e',
    type: 'TweetPosted',
    data: { tweetId: 't1', text: 'hello' },
    schemaVersion: 1,
    occurredAt: '2026-12-03T12:00:00.000Z',
    metadata: { correlationId: 'c1', causationId: 'c1', actorUserId: 'u1', traceparent: TRACEPARENT },
    streamId: 'tweet-t1',
    streamRevision: 3,
    position: 42,
    ...overrides,
  };
}

/** What a consumer receives for a produced message: kafkajs hands over Buffers. */
function received(m: OutgoingKafkaMessage, where: Partial<ReceivedKafkaMessage> = {}): ReceivedKafkaMessage {
  return {
    topic: 'chirp.events',
    partition: 2,
    offset: '1234',
    key: Buffer.from(m.key),
    value: Buffer.from(m.value),
    headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)])),
    ...where,
  };
}

const storedEvent: fc.Arbitrary<StoredEvent> = fc.record({
  eventId: fc.uuid(),
  type: fc.string({ minLength: 1, maxLength: 40 }),
  // Stored payloads are JSON (jsonb) values; JSON cannot carry -0 (JSON.stringify writes 0), so normalise.
  data: fc.jsonValue().map((d) => JSON.parse(JSON.stringify(d)) as unknown),
  schemaVersion: fc.integer({ min: -5, max: 1000 }),
  occurredAt: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  metadata: fc.record(
    {
      correlationId: fc.string({ minLength: 1 }),
      causationId: fc.string({ minLength: 1 }),
      actorUserId: fc.option(fc.string(), { nil: null }),
      traceparent: fc.string({ minLength: 1 }),
    },
    { requiredKeys: ['correlationId', 'causationId', 'actorUserId'] },
  ),
  streamId: fc.string({ minLength: 1, maxLength: 80 }),
  streamRevision: fc.nat(),
  position: fc.maxSafeNat(),
});

describe('toKafkaMessage', () => {
  it('keys by stream id and carries the envelope as JSON', () => {
    const e = event();
    const m = toKafkaMessage(e);
    expect(m.key).toBe('tweet-t1');
    expect(JSON.parse(m.value)).toEqual(e);
  });

  it('puts id, type, position, revision, schema version and traceparent in headers', () => {
    expect(toKafkaMessage(event()).headers).toEqual({
      [HEADER.formatVersion]: ENVELOPE_FORMAT_VERSION,
      [HEADER.contentType]: 'application/json',
      'chirp-event-id': '0193a0e2-7d3c-7c1e-9a51-3b8f1f0c2d4e',
      'chirp-event-type': 'TweetPosted',
      'chirp-position': '42',
      'chirp-stream-revision': '3',
      'chirp-schema-version': '1',
      traceparent: TRACEPARENT,
    });
  });

  it('has no traceparent header when the metadata has none', () => {
    const m = toKafkaMessage(event({ metadata: { correlationId: 'c', causationId: 'c', actorUserId: null } }));
    expect(m.headers).not.toHaveProperty('traceparent');
    expect(Object.values(m.headers).every((v) => typeof v === 'string')).toBe(true);
  });

  it('sends an absent payload as null, as the store does', () => {
    expect(JSON.parse(toKafkaMessage(event({ data: undefined })).value).data).toBeNull();
  });

  it('keeps metadata keys a newer writer added', () => {
    const metadata = { correlationId: 'c', causationId: 'c', actorUserId: null, tenant: 'x' };
    expect(fromKafkaMessage(received(toKafkaMessage(event({ metadata })))).metadata).toEqual(metadata);
  });
});

describe('fromKafkaMessage', () => {
  it('round-trips any stored event (Buffers or strings)', () => {
    fc.assert(
      fc.property(storedEvent, fc.boolean(), (e, asStrings) => {
        const m = toKafkaMessage(e);
        const msg = asStrings ? { topic: 't', partition: 0, offset: '0', key: m.key, value: m.value, headers: m.headers } : received(m);
        expect(fromKafkaMessage(msg)).toEqual(e);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts a message without headers (they are copies) and a header repeated once as an array', () => {
    const m = toKafkaMessage(event());
    expect(fromKafkaMessage(received(m, { headers: {} }))).toEqual(event());
    expect(fromKafkaMessage(received(m, { headers: { 'chirp-event-id': [Buffer.from(event().eventId)] } }))).toEqual(event());
  });

  const cases: Array<[string, (m: ReceivedKafkaMessage) => ReceivedKafkaMessage, RegExp]> = [
    ['an empty value (tombstone)', (m) => ({ ...m, value: null }), /the value is empty/],
    ['a value that is not JSON', (m) => ({ ...m, value: Buffer.from('{"eventId":') }), /the value is not JSON/],
    ['a value missing fields', (m) => ({ ...m, value: Buffer.from(JSON.stringify({ eventId: 'e' })) }), /value\.type: .*; .*value\.streamId/s],
    ['a value without data', (m) => ({ ...m, value: Buffer.from(JSON.stringify({ ...event(), data: undefined })) }), /value\.data: is required/],
    ['bad metadata', (m) => ({ ...m, value: Buffer.from(JSON.stringify({ ...event(), metadata: { causationId: 'c' } })) }), /value\.metadata\.correlationId/],
    ['a negative position', (m) => ({ ...m, value: Buffer.from(JSON.stringify({ ...event(), position: -1 })), headers: {} }), /value\.position/],
    ['a key that is not the stream id', (m) => ({ ...m, key: Buffer.from('tweet-other') }), /the key "tweet-other" is not the stream id "tweet-t1"/],
    ['no key', (m) => ({ ...m, key: null }), /the key null is not the stream id/],
    ['a header disagreeing with the value', (m) => ({ ...m, headers: { ...m.headers, 'chirp-position': Buffer.from('43') } }), /header chirp-position is "43" but the value says "42"/],
    ['a traceparent header the metadata lacks', (m) => ({ ...m, value: Buffer.from(JSON.stringify({ ...event(), metadata: { correlationId: 'c', causationId: 'c', actorUserId: null } })) }), /header traceparent is .* but the value says nothing/],
    ['a repeated header', (m) => ({ ...m, headers: { ...m.headers, 'chirp-event-id': ['a', 'b'] } }), /header chirp-event-id appears 2 times/],
    ['an unknown format version', (m) => ({ ...m, headers: { ...m.headers, 'chirp-envelope-version': '2' } }), /envelope format version 2 is not supported/],
  ];
  it.each(cases)('refuses %s, naming topic, partition and offset', (_what, corrupt, detail) => {
    const msg = corrupt(received(toKafkaMessage(event())));
    let caught: unknown;
    try {
      fromKafkaMessage(msg);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MalformedKafkaMessageError);
    const error = caught as MalformedKafkaMessageError;
    expect(error.message).toMatch(/^malformed Chirp event message in topic chirp\.events, partition 2, offset 1234: /);
    expect(error.message).toMatch(detail);
    expect({ topic: error.topic, partition: error.partition, offset: error.offset }).toEqual({ topic: 'chirp.events', partition: 2, offset: '1234' });
  });
});

describe('position markers', () => {
  it('sends one marker per partition, each to its explicit partition, carrying the position', () => {
    const markers = toMarkerMessages(4211, 3);
    expect(markers.map((m) => m.partition)).toEqual([0, 1, 2]);
    for (const m of markers) {
      expect(m.key).toBe(MARKER_KEY);
      expect(m.headers[HEADER.marker]).toBe('4211');
      expect(m.headers[HEADER.formatVersion]).toBe(ENVELOPE_FORMAT_VERSION);
      expect(JSON.parse(m.value)).toEqual({ marker: true, position: 4211 });
    }
  });

  it('refuses a position or a partition count that cannot be right', () => {
    expect(() => toMarkerMessages(-1, 3)).toThrow(RangeError);
    expect(() => toMarkerMessages(1.5, 3)).toThrow(RangeError);
    expect(() => toMarkerMessages(10, 0)).toThrow(RangeError);
  });

  it('tells markers from events (Buffers or strings, with or without a key)', () => {
    const [marker] = toMarkerMessages(77, 1);
    expect(decodeKafkaRecord(received(marker!))).toEqual({ kind: 'marker', position: 77 });
    expect(decodeKafkaRecord({ ...received(marker!), key: null, value: marker!.value })).toEqual({ kind: 'marker', position: 77 });
    const e = event();
    expect(decodeKafkaRecord(received(toKafkaMessage(e)))).toEqual({ kind: 'event', event: e });
  });

  it('decodes any event as an event and any marker as itself', () => {
    fc.assert(
      fc.property(storedEvent, fc.nat({ max: Number.MAX_SAFE_INTEGER }), (e, position) => {
        expect(decodeKafkaRecord(received(toKafkaMessage(e)))).toEqual({ kind: 'event', event: fromKafkaMessage(received(toKafkaMessage(e))) });
        expect(decodeKafkaRecord(received(toMarkerMessages(position, 1)[0]!))).toEqual({ kind: 'marker', position });
      }),
    );
  });

  it('refuses a malformed marker, naming topic, partition and offset', () => {
    const [m] = toMarkerMessages(5, 1);
    const bad: Array<[Partial<ReceivedKafkaMessage>, RegExp]> = [
      [{ value: Buffer.from('{"marker":true,"position":6}') }, /header chirp-marker is "5" but the marker value says 6/],
      [{ value: Buffer.from('not json') }, /the marker value is not JSON/],
      [{ value: null }, /a position marker has an empty value/],
      [{ value: Buffer.from('{"marker":true,"position":-5}') }, /marker value\.position/],
      [{ key: Buffer.from('tweet-1') }, /a position marker has the key "tweet-1"/],
      [{ headers: { [HEADER.marker]: Buffer.from('5'), [HEADER.formatVersion]: Buffer.from('9') } }, /envelope format version 9 is not supported/],
      [{ headers: { [HEADER.marker]: [Buffer.from('5'), Buffer.from('6')] } }, /header chirp-marker appears 2 times/],
    ];
    for (const [change, message] of bad) {
      let error: unknown;
      try {
        decodeKafkaRecord(received(m!, change));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MalformedKafkaMessageError);
      expect((error as Error).message).toMatch(/topic chirp\.events, partition 2, offset 1234/);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('a message without the marker header is an event, and a broken one says so', () => {
    const e = toKafkaMessage(event());
    expect(() => decodeKafkaRecord(received(e, { value: Buffer.from('{}') }))).toThrow(MalformedKafkaMessageError);
  });
});
