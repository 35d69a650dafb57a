import { describe, expect, test } from 'vitest';
import { CorruptEventError, satisfiesExpected } from '../src/port.ts';
import {
  chunkStartOf,
  compareEsdbPositions,
  ENVELOPE_KEY,
  fromEsdbCurrentRevision,
  fromEsdbMetadata,
  isSystemEventType,
  positionToNumber,
  readStartAfter,
  toEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbMetadata,
  toStoredEvent,
  type EsdbPosition,
  type EsdbRecord,
} from '../src/esdb/esdb-mapping.ts';
import { redactEsdbUrl } from '../src/esdb/esdb-event-store.ts';
import { newEvent } from './contract.ts';

const pos = (commit: number, prepare: number): EsdbPosition => ({ commit: BigInt(commit), prepare: BigInt(prepare) });

describe('expected revision', () => {
  test('maps one to one onto the client’s values', () => {
    expect(toEsdbExpectedRevision('no_stream')).toBe('no_stream');
    expect(toEsdbExpectedRevision('any')).toBe('any');
    expect(toEsdbExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(toEsdbExpectedRevision(0)).toBe(0n);
    expect(toEsdbExpectedRevision(41)).toBe(41n);
    expect(toEsdbExpectedRevision(Number.MAX_SAFE_INTEGER)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });

  test('refuses what is not a revision', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) expect(() => toEsdbExpectedRevision(bad)).toThrow(RangeError);
    expect(() => toEsdbExpectedRevision('latest' as never)).toThrow(RangeError);
  });

  test('the actual revision of a WrongExpectedVersionError: -1 for no stream', () => {
    expect(fromEsdbCurrentRevision('no_stream')).toBe(-1);
    expect(fromEsdbCurrentRevision(0n)).toBe(0);
    expect(fromEsdbCurrentRevision(7n)).toBe(7);
    expect(() => fromEsdbCurrentRevision(2n ** 53n)).toThrow(RangeError);
  });

  test('an empty append checks the expectation as EventStoreDB would', () => {
    expect(satisfiesExpected('any', -1)).toBe(true);
    expect(satisfiesExpected('no_stream', -1)).toBe(true);
    expect(satisfiesExpected('no_stream', 0)).toBe(false);
    expect(satisfiesExpected('stream_exists', -1)).toBe(false);
    expect(satisfiesExpected('stream_exists', 3)).toBe(true);
    expect(satisfiesExpected(1, 1)).toBe(true);
    expect(satisfiesExpected(0, 1)).toBe(false);
  });
});

describe('positions', () => {
  test('the number is the prepare position: unique per event even where events share a commit position', () => {
    // Implicit transactions (every gRPC append): commit = prepare, one record per event.
    expect(positionToNumber(pos(1_000, 1_000))).toBe(1_000);
    // An explicit transaction: three events share the commit record's position.
    const shared = [pos(5_000, 4_000), pos(5_000, 4_200), pos(5_000, 4_400)].map(positionToNumber);
    expect(new Set(shared).size).toBe(3);
    expect(shared).toEqual([4_000, 4_200, 4_400]);
  });

  test('numbers order events as $all does (commit, then prepare) for contiguous transactions', () => {
    // A log: single-event write, a three-event write, another single-event write; each event a record.
    const inAllOrder = [pos(100, 100), pos(250, 250), pos(400, 400), pos(550, 550), pos(700, 700)];
    const sorted = [...inAllOrder].sort(compareEsdbPositions);
    expect(sorted).toEqual(inAllOrder);
    const numbers = inAllOrder.map(positionToNumber);
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]!).toBeGreaterThan(numbers[i - 1]!);
    // Events sharing a commit position keep prepare order.
    const sharing = [pos(900, 600), pos(900, 700), pos(900, 800)];
    expect([...sharing].sort(compareEsdbPositions)).toEqual(sharing);
    expect(sharing.map(positionToNumber)).toEqual([600, 700, 800]);
  });

  test('number → read start and back: reading from an event’s number starts at that very event', () => {
    expect(readStartAfter(0)).toBe('start');
    for (const p of [pos(1, 1), pos(123_456, 123_456), pos(2 ** 52, 2 ** 52)]) {
      const start = readStartAfter(positionToNumber(p));
      expect(start).toEqual(p);
      expect(compareEsdbPositions(start as EsdbPosition, p)).toBe(0);
    }
    expect(() => readStartAfter(-1)).toThrow(RangeError);
    expect(() => readStartAfter(0.5)).toThrow(RangeError);
  });

  test('positions must stay below 2^53', () => {
    expect(positionToNumber(pos(0, Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => positionToNumber({ commit: 2n ** 53n, prepare: 2n ** 53n })).toThrow(/below 2\^53/);
    expect(() => readStartAfter(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
  });

  test('a position that is not a record falls back to the start of its chunk', () => {
    const chunk = 256 * 1024 * 1024;
    expect(chunkStartOf(999, chunk)).toBe('start');
    expect(chunkStartOf(chunk, chunk)).toEqual(pos(chunk, chunk));
    expect(chunkStartOf(3 * chunk + 17, chunk)).toEqual(pos(3 * chunk, 3 * chunk));
  });
});

describe('system events', () => {
  test('$-prefixed types are EventStoreDB’s own', () => {
    for (const t of ['$>', '$metadata', '$statsCollected', '$ProjectionCheckpoint']) expect(isSystemEventType(t)).toBe(true);
    for (const t of ['TweetPosted', 'a$b', 'ContractTested']) expect(isSystemEventType(t)).toBe(false);
  });
});

describe('events and metadata', () => {
  const record = (overrides: Partial<EsdbRecord> = {}): EsdbRecord => {
    const event = toEsdbEvent(
      newEvent({
        schemaVersion: 3,
        occurredAt: '2024-05-06T07:08:09.123Z',
        metadata: { correlationId: 'c', causationId: 'k', actorUserId: 'u', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      }),
    );
    return { streamId: 's-1', id: event.id, revision: 4n, type: event.type, isJson: true, data: event.data, metadata: event.metadata, position: pos(77, 77), ...overrides };
  };

  test('envelope metadata is the event metadata unchanged, traceparent included, plus the envelope fields', () => {
    const withTrace = { correlationId: 'c', causationId: 'k', actorUserId: 'u', traceparent: '00-aa-bb-01' };
    const stored = toEsdbMetadata(withTrace, 2, '2024-01-01T00:00:00.000Z');
    expect(stored).toEqual({ ...withTrace, [ENVELOPE_KEY]: { schemaVersion: 2, occurredAt: '2024-01-01T00:00:00.000Z' } });
    expect(fromEsdbMetadata(JSON.parse(JSON.stringify(stored)))).toStrictEqual({
      metadata: withTrace,
      schemaVersion: 2,
      occurredAt: '2024-01-01T00:00:00.000Z',
    });

    const withoutTrace = { correlationId: 'c', causationId: 'k', actorUserId: null };
    const back = fromEsdbMetadata(JSON.parse(JSON.stringify(toEsdbMetadata(withoutTrace, 1, '1999-12-31T23:59:59.999Z'))));
    expect(back.metadata).toStrictEqual(withoutTrace);
    expect('traceparent' in back.metadata).toBe(false);
  });

  test('an event round-trips into a StoredEvent', () => {
    const event = newEvent({ type: 'TweetPosted', schemaVersion: 3, occurredAt: '2024-05-06T07:08:09.123Z', data: { text: 'héllo', n: [1, null] } });
    const data = toEsdbEvent(event);
    const stored = toStoredEvent({ streamId: 's', id: data.id, revision: 2n, type: data.type, isJson: true, data: data.data, metadata: JSON.parse(JSON.stringify(data.metadata)), position: pos(10, 10) });
    expect(stored).toStrictEqual({ ...event, streamId: 's', streamRevision: 2, position: 10 });
  });

  test('refuses at append what could not be read back', () => {
    expect(() => toEsdbEvent(newEvent({ eventId: 'nope' }))).toThrow(/UUID/);
    expect(() => toEsdbEvent(newEvent({ type: '$sneaky' }))).toThrow(/\$/);
    expect(() => toEsdbEvent(newEvent({ occurredAt: 'yesterday' }))).toThrow(/timestamp/);
    expect(() => toEsdbEvent(newEvent({ metadata: { correlationId: '', causationId: 'x', actorUserId: null } }))).toThrow(/metadata/);
  });

  test('a read event that is not a Chirp envelope is a CorruptEventError naming its position and stream', () => {
    const cases: Partial<EsdbRecord>[] = [{ metadata: { correlationId: 'c' } }, { metadata: 'text' }, { isJson: false }, { position: undefined }];
    for (const overrides of cases) {
      const err = (() => {
        try {
          toStoredEvent(record(overrides));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(CorruptEventError);
      expect((err as CorruptEventError).streamId).toBe('s-1');
      if (overrides.position === undefined && 'position' in overrides) expect((err as CorruptEventError).position).toBeNull();
      else expect((err as CorruptEventError).position).toBe(77);
    }
  });
});

test('URLs in messages lose their credentials', () => {
  expect(redactEsdbUrl('esdb://admin:changeit@db.internal:2113?tls=false')).toBe('esdb://db.internal:2113?tls=false');
  expect(redactEsdbUrl('esdb+discover://u:p@a:2113,b:2113')).toBe('esdb+discover://a:2113,b:2113');
  expect(redactEsdbUrl('esdb://127.0.0.1:2113')).toBe('esdb://127.0.0.1:2113');
});
