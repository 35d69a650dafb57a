/**
 * The EventStore contract: behaviour every adapter must show, tested through the port only.
 *
 * Written to hold on a store that other things also write to (EventStoreDB's $all carries system
 * events): every test uses fresh stream ids and looks only at its own events in global reads.
 * `makeStore` is called before every test and `cleanup` after it; it should configure any polling
 * fallback to be slow (10 s or more), because the live-delivery test asserts that an append
 * reaches a subscriber far sooner than a poll would.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { NewEvent, StoredEvent } from '@chirp/domain/envelope';
import {
  DuplicateEventError,
  type AppendResult,
  WrongExpectedRevisionError,
  type EventStore,
  type ExpectedRevision,
  type Subscription,
} from '../src/port.ts';

export interface ContractStore {
  store: EventStore;
  cleanup(): Promise<void>;
}

/** A live delivery must arrive within this; the adapters' polls are 10 s. */
const LIVE_DEADLINE_MS = 2_000;

export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  const id = randomUUID();
  return {
    eventId: id,
    type: 'ContractTested',
    data: { note: `event ${id}` },
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
    metadata: { correlationId: `corr-${id}`, causationId: `cause-${id}`, actorUserId: null },
    ...overrides,
  };
}

export function newStreamId(label = 'contract'): string {
  return `${label}-${randomUUID()}`;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

async function expectWrongRevision(promise: Promise<unknown>, streamId: string, expected: ExpectedRevision, actual: number) {
  const err = await rejectionOf(promise);
  expect(err).toBeInstanceOf(WrongExpectedRevisionError);
  const typed = err as WrongExpectedRevisionError;
  expect(typed.streamId).toBe(streamId);
  expect(typed.expected).toBe(expected);
  expect(typed.actual).toBe(actual);
}

/** Reads the whole log after `from` (in pages) and keeps the events of the given streams. */
async function readAllOf(store: EventStore, from: number, streams: ReadonlySet<string>, pageSize = 1_000): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let cursor = from;
  for (;;) {
    const page = await store.readAll(cursor, pageSize);
    out.push(...page.filter((e) => streams.has(e.streamId)));
    if (page.length < pageSize) return out;
    cursor = page[page.length - 1]!.position;
  }
}

/** Drains a subscription in the background, keeping the events of the given streams. */
function collect(subscription: Subscription, streams: ReadonlySet<string>) {
  const events: StoredEvent[] = [];
  const batchSizes: number[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const batch of subscription) {
        batchSizes.push(batch.length);
        events.push(...batch.filter((e) => streams.has(e.streamId)));
        for (const w of waiters.filter((w) => events.length >= w.count)) w.resolve();
      }
    } catch (err) {
      failure = err;
    }
  })();
  return {
    events,
    batchSizes,
    done,
    get failure() {
      return failure;
    },
    /** Resolves once `count` matching events arrived; rejects after timeoutMs. */
    async waitFor(count: number, timeoutMs = 5_000): Promise<void> {
      if (events.length >= count) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => waiters.push({ count, resolve })),
        new Promise<void>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`only ${events.length} of ${count} events arrived within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
        done.then(() => {
          throw failure ?? new Error(`subscription ended after ${events.length} of ${count} events`);
        }),
      ]).finally(() => clearTimeout(timer));
    },
  };
}

function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface ContractOptions {
  /**
   * How the store treats an event id it holds already. 'refused' (the SQL stores: event ids are
   * unique across the log) → DuplicateEventError. 'idempotent-retry' (EventStoreDB: ids are not
   * unique across the log; an exact retry of an append to the same stream at its original
   * expected revision succeeds again without writing) → only that is checked. The command side
   * converges either way (command-api/src/stream-command.ts: a keyed command finds its events in
   * the stream). docs/event-store.md, "Duplicate event ids".
   */
  duplicateEventIds?: 'refused' | 'idempotent-retry';
}

export function describeEventStoreContract(adapterName: string, makeStore: () => Promise<ContractStore>, options: ContractOptions = {}): void {
  const duplicates = options.duplicateEventIds ?? 'refused';
  describe(`EventStore contract: ${adapterName}`, () => {
    let store: EventStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('append and read', () => {
      test('every envelope field round-trips through readStream and readAll', async () => {
        const streamId = newStreamId('roundtrip');
        const withTrace = newEvent({
          type: 'TweetPosted',
          schemaVersion: 3,
          occurredAt: '2024-05-06T07:08:09.123Z',
          data: {
            text: 'héllo 🐦 "quoted" \\ back',
            tags: ['a', 'b'],
            nested: { n: 42, f: 1.5, neg: -7, yes: true, no: false, nothing: null },
            empty: {},
          },
          metadata: {
            correlationId: 'corr-1',
            causationId: 'cause-1',
            actorUserId: 'user-1',
            traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          },
        });
        const withoutTrace = newEvent({
          type: 'TweetLiked',
          occurredAt: '1999-12-31T23:59:59.999Z',
          data: [1, 'two', { three: 3 }],
          metadata: { correlationId: 'corr-2', causationId: 'cause-2', actorUserId: null },
        });
        const before = await store.headPosition();
        const result = await store.append(streamId, [withTrace, withoutTrace], 'no_stream');
        expect(result.nextRevision).toBe(1);

        const stream = await store.readStream(streamId);
        expect(stream).toHaveLength(2);
        const [first, second] = stream as [StoredEvent, StoredEvent];
        expect(second.position).toBe(result.position);
        expect(first.position).toBeLessThan(second.position);
        expect(first).toStrictEqual({ ...withTrace, streamId, streamRevision: 0, position: first.position });
        expect(second).toStrictEqual({ ...withoutTrace, streamId, streamRevision: 1, position: result.position });
        expect('traceparent' in second.metadata).toBe(false);

        const global = await readAllOf(store, before, new Set([streamId]));
        expect(global).toStrictEqual(stream);
      });

      test('revisions count from 0 and nextRevision is the last event’s revision', async () => {
        const streamId = newStreamId();
        expect((await store.append(streamId, [newEvent()], 'no_stream')).nextRevision).toBe(0);
        expect((await store.append(streamId, [newEvent(), newEvent(), newEvent()], 0)).nextRevision).toBe(3);
        const stream = await store.readStream(streamId);
        expect(stream.map((e) => e.streamRevision)).toEqual([0, 1, 2, 3]);
      });

      test('an empty append writes nothing and reports the current state', async () => {
        const streamId = newStreamId();
        const appended = await store.append(streamId, [newEvent(), newEvent()], 'no_stream');
        const empty = await store.append(streamId, [], 1);
        expect(empty).toEqual({ position: appended.position, nextRevision: 1 });
        expect(await store.readStream(streamId)).toHaveLength(2);
        await expectWrongRevision(store.append(streamId, [], 0), streamId, 0, 1);

        const missing = newStreamId();
        expect((await store.append(missing, [], 'any')).nextRevision).toBe(-1);
        expect(await store.readStream(missing)).toEqual([]);
      });

      test('readStream: fromRevision, limit, missing streams', async () => {
        const streamId = newStreamId();
        const events = Array.from({ length: 6 }, () => newEvent());
        await store.append(streamId, events, 'no_stream');
        const ids = (xs: StoredEvent[]) => xs.map((e) => e.eventId);
        expect(ids(await store.readStream(streamId))).toEqual(events.map((e) => e.eventId));
        expect(ids(await store.readStream(streamId, { fromRevision: 2 }))).toEqual(events.slice(2).map((e) => e.eventId));
        expect(ids(await store.readStream(streamId, { limit: 2 }))).toEqual(events.slice(0, 2).map((e) => e.eventId));
        expect(ids(await store.readStream(streamId, { fromRevision: 3, limit: 2 }))).toEqual(
          events.slice(3, 5).map((e) => e.eventId),
        );
        expect(await store.readStream(streamId, { fromRevision: 6 })).toEqual([]);
        expect(await store.readStream(newStreamId('missing'))).toEqual([]);
      });
    });

    describe('expected revision', () => {
      test("'no_stream': creates a new stream, refuses an existing one", async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent(), newEvent()], 'no_stream');
        await expectWrongRevision(store.append(streamId, [newEvent()], 'no_stream'), streamId, 'no_stream', 1);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      test("'stream_exists': refuses a missing stream, appends to an existing one", async () => {
        const streamId = newStreamId();
        await expectWrongRevision(store.append(streamId, [newEvent()], 'stream_exists'), streamId, 'stream_exists', -1);
        expect(await store.readStream(streamId)).toEqual([]);
        await store.append(streamId, [newEvent()], 'no_stream');
        expect((await store.append(streamId, [newEvent()], 'stream_exists')).nextRevision).toBe(1);
      });

      test("'any': appends to missing and existing streams alike", async () => {
        const streamId = newStreamId();
        expect((await store.append(streamId, [newEvent()], 'any')).nextRevision).toBe(0);
        expect((await store.append(streamId, [newEvent(), newEvent()], 'any')).nextRevision).toBe(2);
      });

      test('exact revision: appends only at the stream’s current revision', async () => {
        const streamId = newStreamId();
        await expectWrongRevision(store.append(streamId, [newEvent()], 0), streamId, 0, -1);
        await store.append(streamId, [newEvent(), newEvent(), newEvent()], 'no_stream');
        await expectWrongRevision(store.append(streamId, [newEvent()], 1), streamId, 1, 2);
        await expectWrongRevision(store.append(streamId, [newEvent()], 3), streamId, 3, 2);
        expect((await store.append(streamId, [newEvent()], 2)).nextRevision).toBe(3);
        expect(await store.readStream(streamId)).toHaveLength(4);
      });

      test('concurrent appends at one expected revision: exactly one wins', async () => {
        const streamId = newStreamId();
        await store.append(streamId, [newEvent()], 'no_stream');
        const attempts = Array.from({ length: 8 }, () => newEvent());
        const results = await Promise.allSettled(attempts.map((e) => store.append(streamId, [e], 0)));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const r of lost) {
          expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect((r.reason as WrongExpectedRevisionError).actual).toBe(1);
        }
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      test("concurrent 'no_stream' creations: exactly one wins, the others see the stream", async () => {
        const streamId = newStreamId();
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, () => store.append(streamId, [newEvent(), newEvent()], 'no_stream')),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
          expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect((r.reason as WrongExpectedRevisionError).actual).toBe(1);
        }
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      test("concurrent 'any' appends to one stream all land, with gapless revisions", async () => {
        const streamId = newStreamId();
        const results = await Promise.all(Array.from({ length: 10 }, () => store.append(streamId, [newEvent()], 'any')));
        expect(results.map((r) => r.nextRevision).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const stream = await store.readStream(streamId);
        expect(stream.map((e) => e.streamRevision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      });
    });

    describe.runIf(duplicates === 'idempotent-retry')('duplicate event ids (idempotent retries)', () => {
      test('an exact retry of a successful append at its original expected revision succeeds and writes nothing more', async () => {
        const streamId = newStreamId();
        const batch = [newEvent(), newEvent()];
        const first = await store.append(streamId, batch, 'no_stream');
        const retry = await store.append(streamId, batch, 'no_stream');
        expect(retry.nextRevision).toBe(first.nextRevision);
        const stream = await store.readStream(streamId);
        expect(stream.map((e) => e.eventId)).toEqual(batch.map((e) => e.eventId));
      });
    });

    describe.runIf(duplicates === 'refused')('duplicate event ids', () => {
      test('appending an event id again, to any stream, throws DuplicateEventError and writes nothing', async () => {
        const streamId = newStreamId();
        const event = newEvent();
        await store.append(streamId, [event], 'no_stream');

        const retry = await rejectionOf(store.append(streamId, [event], 'any'));
        expect(retry).toBeInstanceOf(DuplicateEventError);
        expect((retry as DuplicateEventError).eventId).toBe(event.eventId);

        const other = newStreamId();
        const elsewhere = await rejectionOf(store.append(other, [newEvent(), event], 'no_stream'));
        expect(elsewhere).toBeInstanceOf(DuplicateEventError);
        expect((elsewhere as DuplicateEventError).eventId).toBe(event.eventId);
        expect(await store.readStream(other)).toEqual([]);
        expect(await store.readStream(streamId)).toHaveLength(1);
      });

      test('a retry of a successful append is reported as a duplicate even at its original expected revision', async () => {
        const streamId = newStreamId();
        const batch = [newEvent(), newEvent()];
        await store.append(streamId, batch, 'no_stream');
        const err = await rejectionOf(store.append(streamId, batch, 'no_stream'));
        expect(err).toBeInstanceOf(DuplicateEventError);
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      test('a refused append to a new stream leaves nothing behind: the stream can still be created', async () => {
        const event = newEvent();
        await store.append(newStreamId(), [event], 'no_stream');
        const streamId = newStreamId();
        expect(await rejectionOf(store.append(streamId, [event], 'no_stream'))).toBeInstanceOf(DuplicateEventError);
        expect(await store.append(streamId, [newEvent()], 'no_stream')).toMatchObject({ nextRevision: 0 });
        expect(await store.readStream(streamId)).toHaveLength(1);
      });

      test('a retry racing its original, to the same or another stream: one lands, the other is a duplicate', async () => {
        const streamId = newStreamId();
        const batch = [newEvent(), newEvent()];
        const same = await Promise.allSettled([store.append(streamId, batch, 'no_stream'), store.append(streamId, batch, 'no_stream')]);
        expect(same.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(same.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason).toBeInstanceOf(DuplicateEventError);
        expect(await store.readStream(streamId)).toHaveLength(2);

        const event = newEvent();
        const [a, b] = [newStreamId('race-a'), newStreamId('race-b')];
        const other = await Promise.allSettled([store.append(a, [event], 'any'), store.append(b, [event], 'any')]);
        expect(other.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = other.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
        expect(lost).toBeInstanceOf(DuplicateEventError);
        expect((lost as DuplicateEventError).eventId).toBe(event.eventId);
        expect([...(await store.readStream(a)), ...(await store.readStream(b))]).toHaveLength(1);
      });
    });

    describe('the global log', () => {
      test('readAll returns events in append order with strictly increasing positions; fromPosition is exclusive; limit caps a page', async () => {
        const a = newStreamId('a');
        const b = newStreamId('b');
        const c = newStreamId('c');
        const streams = new Set([a, b, c]);
        const before = await store.headPosition();
        const appended: { streamId: string; event: NewEvent }[] = [];
        const plan: [string, number][] = [
          [a, 2],
          [b, 1],
          [a, 1],
          [c, 3],
          [b, 2],
        ];
        const results: AppendResult[] = [];
        for (const [streamId, n] of plan) {
          const events = Array.from({ length: n }, () => newEvent());
          results.push(await store.append(streamId, events, 'any'));
          appended.push(...events.map((event) => ({ streamId, event })));
        }
        for (let i = 1; i < results.length; i++) expect(results[i]!.position).toBeGreaterThan(results[i - 1]!.position);

        const all = await readAllOf(store, before, streams);
        expect(all.map((e) => [e.streamId, e.eventId])).toEqual(appended.map((x) => [x.streamId, x.event.eventId]));
        for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
        expect(all.filter((e) => results.some((r) => r.position === e.position))).toHaveLength(results.length);

        // Paging with a small limit gives the same sequence, never more than `limit` per page.
        const paged: StoredEvent[] = [];
        let cursor = before;
        for (let guard = 0; guard < 1_000; guard++) {
          const page = await store.readAll(cursor, 2);
          expect(page.length).toBeLessThanOrEqual(2);
          if (page.length === 0) break;
          paged.push(...page.filter((e) => streams.has(e.streamId)));
          cursor = page[page.length - 1]!.position;
        }
        expect(paged).toEqual(all);

        // fromPosition is exclusive.
        const third = all[2]!;
        const after = await readAllOf(store, third.position, streams);
        expect(after.map((e) => e.eventId)).toEqual(all.slice(3).map((e) => e.eventId));
        expect(await store.readAll(before, 0)).toEqual([]);
      });

      test('readLatest returns the newest events in global order, as readAll ends', async () => {
        const streamId = newStreamId('latest');
        const before = await store.headPosition();
        const events = Array.from({ length: 5 }, () => newEvent());
        await store.append(streamId, events.slice(0, 2), 'no_stream');
        await store.append(newStreamId('other'), [newEvent()], 'no_stream');
        await store.append(streamId, events.slice(2), 1);
        const latest = await store.readLatest(4);
        expect(latest).toHaveLength(4);
        for (let i = 1; i < latest.length; i++) expect(latest[i]!.position).toBeGreaterThan(latest[i - 1]!.position);
        // Exactly the last four that readAll hands out after the appends began (no system events).
        const all = await store.readAll(before, 100);
        expect(latest).toEqual(all.slice(-4));
        expect(latest.at(-1)!.position).toBe(await store.headPosition());
        expect(latest.filter((e) => e.streamId === streamId).map((e) => e.eventId)).toEqual(events.slice(2).map((e) => e.eventId));
        expect(await store.readLatest(0)).toEqual([]);
        await expect(store.readLatest(-1)).rejects.toThrow(RangeError);
      });

      test('headPosition and countAfter', async () => {
        const streamId = newStreamId();
        const before = await store.headPosition();
        expect(before).toBeGreaterThanOrEqual(0);
        const first = await store.append(streamId, [newEvent(), newEvent()], 'no_stream');
        const second = await store.append(streamId, [newEvent()], 1);
        const head = await store.headPosition();
        expect(head).toBeGreaterThanOrEqual(second.position);
        expect(second.position).toBeGreaterThan(first.position);

        expect(await store.countAfter(before, 1_000)).toBeGreaterThanOrEqual(3);
        expect(await store.countAfter(before, 2)).toBe(2);
        expect(await store.countAfter(before, 0)).toBe(0);
        expect(await store.countAfter(first.position, 1_000)).toBeGreaterThanOrEqual(1);
        const headNow = await store.headPosition();
        expect(await store.countAfter(headNow, 10)).toBe(0);
        expect(await store.readAll(headNow, 10)).toEqual([]);
      });
    });

    describe('subscribe', () => {
      test('catches up in batches, then delivers live appends promptly (not by polling)', async () => {
        const a = newStreamId('sub-a');
        const b = newStreamId('sub-b');
        const streams = new Set([a, b]);
        const before = await store.headPosition();
        await store.append(a, [newEvent(), newEvent()], 'no_stream');
        await store.append(b, [newEvent()], 'no_stream');
        await store.append(a, [newEvent(), newEvent()], 1);
        const expected = await readAllOf(store, before, streams);
        expect(expected).toHaveLength(5);

        const subscription = store.subscribe(before, { batchSize: 2 });
        const seen = collect(subscription, streams);
        await seen.waitFor(5);
        expect(seen.events).toEqual(expected);
        expect(Math.max(...seen.batchSizes)).toBeLessThanOrEqual(2);

        // Live: appended after the subscriber caught up and went to sleep.
        await new Promise((r) => setTimeout(r, 200));
        const started = Date.now();
        const live = newEvent();
        const result = await store.append(b, [live], 0);
        await seen.waitFor(6, LIVE_DEADLINE_MS);
        const latency = Date.now() - started;
        expect(latency).toBeLessThan(LIVE_DEADLINE_MS);
        expect(seen.events[5]).toMatchObject({ eventId: live.eventId, streamId: b, streamRevision: 1, position: result.position });

        await subscription.close();
        await withinMs(seen.done, 1_000, 'the iteration ending after close()');
        expect(seen.failure).toBeUndefined();
        expect(seen.events).toHaveLength(6);
      });

      test('fromPosition is exclusive', async () => {
        const streamId = newStreamId('sub-from');
        await store.append(streamId, [newEvent(), newEvent(), newEvent()], 'no_stream');
        const stream = await store.readStream(streamId);
        const subscription = store.subscribe(stream[0]!.position);
        const seen = collect(subscription, new Set([streamId]));
        await seen.waitFor(2);
        await subscription.close();
        await seen.done;
        expect(seen.events.map((e) => e.eventId)).toEqual(stream.slice(1).map((e) => e.eventId));
      });

      test('several subscribers receive the same events', async () => {
        const streamId = newStreamId('sub-many');
        const streams = new Set([streamId]);
        const before = await store.headPosition();
        const subscriptions = Array.from({ length: 3 }, () => store.subscribe(before, { batchSize: 3 }));
        const seen = subscriptions.map((s) => collect(s, streams));
        for (let i = 0; i < 4; i++) await store.append(streamId, [newEvent(), newEvent()], 'any');
        await Promise.all(seen.map((s) => s.waitFor(8, LIVE_DEADLINE_MS * 2)));
        const reference = await store.readStream(streamId);
        for (const s of seen) expect(s.events).toEqual(reference);
        await Promise.all(subscriptions.map((s) => s.close()));
        await Promise.all(seen.map((s) => withinMs(s.done, 1_000, 'iteration ending')));
      });

      test('close() ends the iteration promptly while the consumer is waiting', async () => {
        const subscription = store.subscribe(await store.headPosition());
        const iterator = subscription[Symbol.asyncIterator]();
        // Catch-up from the head may or may not deliver others' events; wait for the idle wait.
        let next = iterator.next();
        for (;;) {
          const raced = await Promise.race([next, new Promise<'idle'>((r) => setTimeout(() => r('idle'), 300))]);
          if (raced === 'idle') break;
          expect(raced.done).toBe(false);
          next = iterator.next();
        }
        const started = Date.now();
        await subscription.close();
        const result = await withinMs(next, 1_000, 'next() settling after close()');
        expect(result.done).toBe(true);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect((await iterator.next()).done).toBe(true);
      });

      test('breaking out of for-await ends the subscription', async () => {
        const streamId = newStreamId('sub-break');
        await store.append(streamId, [newEvent(), newEvent()], 'no_stream');
        const stream = await store.readStream(streamId);
        const subscription = store.subscribe(stream[0]!.position - 1, { batchSize: 1 });
        let first: StoredEvent | undefined;
        for await (const batch of subscription) {
          first = batch[0];
          break;
        }
        expect(first?.eventId).toBe(stream[0]!.eventId);
        await subscription.close();
      });

      test("the store's close() ends its subscriptions", async () => {
        const { store: own, cleanup: cleanupOwn } = await makeStore();
        try {
          const subscription = own.subscribe(await own.headPosition());
          const seen = collect(subscription, new Set());
          await new Promise((r) => setTimeout(r, 200));
          await own.close();
          await withinMs(seen.done, 1_000, 'iteration ending after the store closed');
          expect(seen.failure).toBeUndefined();
        } finally {
          await cleanupOwn();
        }
      });
    });
  });
}
