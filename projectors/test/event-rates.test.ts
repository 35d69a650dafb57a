import type { StoredEvent } from '@chirp/domain/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRatesProjection } from '../src/read-models/event-rates/projection.ts';
import { MAX_EVENT_RATE_MINUTES, readEventRates } from '../src/read-models/event-rates/reader.ts';
import { eventRatesTables } from '../src/read-models/event-rates/schema.ts';
import { prng } from './histories.ts';
import { applyEvents, batches, dumpTables, engines, History, interleaveByStream, openBackend, resetProjection, uuid, type Backend } from './support.ts';

const MINUTE = 60_000;
const T = Date.parse('2026-03-01T12:00:00.000Z');

describe.each(engines)('event-rates read model on %s', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'event_rates');
  });
  afterAll(async () => {
    await backend?.close();
  });

  // Minute 0 (12:00): 2 registrations, a post. Minute 1: nothing. Minute 2 (12:02): 3 likes, a
  // post and its delete — the delete at 12:02:59.999, the last instant of the minute.
  const [ann, ben] = [uuid(), uuid()];
  const tweet = uuid();
  const h = new History();
  const events: StoredEvent[] = [];
  const at = (e: StoredEvent, time: number) => events.push({ ...e, occurredAt: new Date(time).toISOString() });
  at(h.register(ann, 'ann'), T);
  at(h.register(ben, 'ben'), T + 30_000);
  at(h.post(ann, tweet), T + 59_999);
  for (const user of [ann, ben, uuid()]) at(h.like(tweet, ann, user), T + 2 * MINUTE + 1_000);
  const gone = uuid();
  at(h.post(ben, gone), T + 2 * MINUTE + 2_000);
  at(h.deleteTweet(ben, gone), T + 3 * MINUTE - 1);

  const window = () => readEventRates(backend.executor, { from: new Date(T), to: new Date(T + 3 * MINUTE) });
  const expected = {
    types: ['TweetDeleted', 'TweetLiked', 'TweetPosted', 'UserRegistered'],
    buckets: [
      { minute: '2026-03-01T12:00:00.000Z', counts: { TweetPosted: 1, UserRegistered: 2 } },
      { minute: '2026-03-01T12:01:00.000Z', counts: {} },
      { minute: '2026-03-01T12:02:00.000Z', counts: { TweetDeleted: 1, TweetLiked: 3, TweetPosted: 1 } },
    ],
  };

  it('counts every event per type and UTC minute of occurredAt; empty minutes are buckets too', async () => {
    await resetProjection(backend.executor, eventRatesProjection);
    await applyEvents(backend.executor, eventRatesProjection, events);
    expect(await window()).toEqual(expected);
  });

  it('counts from the envelope alone: a payload the catalogue refuses is counted, not a stall', async () => {
    await resetProjection(backend.executor, eventRatesProjection);
    const broken: StoredEvent = { ...h.post(ann, uuid()), data: { not: 'a tweet' }, occurredAt: new Date(T).toISOString() };
    await applyEvents(backend.executor, eventRatesProjection, [broken]);
    const { buckets } = await readEventRates(backend.executor, { from: new Date(T), to: new Date(T + MINUTE) });
    expect(buckets).toEqual([{ minute: '2026-03-01T12:00:00.000Z', counts: { TweetPosted: 1 } }]);
  });

  it('handles every type of the catalogue, with one run handler (a batch is one upsert)', () => {
    expect([...(eventRatesProjection.handles ?? [])].sort()).toEqual(
      ['Followed', 'HandleReleased', 'HandleReserved', 'ProfileUpdated', 'RetweetUndone', 'Retweeted', 'TrendHidden', 'TrendShown', 'TweetDeleted', 'TweetLiked', 'TweetPosted', 'TweetUnliked', 'Unfollowed', 'UserRegistered'],
    );
    expect(eventRatesProjection.applyBatch).toBeDefined();
  });

  it('a redelivered event is counted once: duplicates in a batch, across batches, interleaved by stream', async () => {
    await resetProjection(backend.executor, eventRatesProjection);
    await applyEvents(backend.executor, eventRatesProjection, events);
    const reference = await dumpTables(backend.executor, [eventRatesTables.rates]);

    const random = prng(7);
    const redelivered = [...interleaveByStream(events, random), events[0]!, events[3]!, events[3]!, ...events.slice(4)];
    await resetProjection(backend.executor, eventRatesProjection);
    for (const part of batches(redelivered, random)) await applyEvents(backend.executor, eventRatesProjection, part);
    await applyEvents(backend.executor, eventRatesProjection, [events[5]!, events[5]!, events[6]!]);
    expect(await dumpTables(backend.executor, [eventRatesTables.rates])).toEqual(reference);
    expect(await window()).toEqual(expected);
  });

  it('the window starts at from rounded down to its minute and ends before to', async () => {
    const mid = await readEventRates(backend.executor, { from: new Date(T + 2 * MINUTE + 30_000), to: new Date(T + 2 * MINUTE + 1) });
    expect(mid).toEqual({ types: ['TweetDeleted', 'TweetLiked', 'TweetPosted'], buckets: [expected.buckets[2]] });
    const before = await readEventRates(backend.executor, { from: new Date(T - 2 * MINUTE), to: new Date(T) });
    expect(before).toEqual({ types: [], buckets: [{ minute: '2026-03-01T11:58:00.000Z', counts: {} }, { minute: '2026-03-01T11:59:00.000Z', counts: {} }] });
  });

  it('refuses an empty or an oversized window', async () => {
    await expect(readEventRates(backend.executor, { from: new Date(T), to: new Date(T) })).rejects.toThrow(RangeError);
    await expect(readEventRates(backend.executor, { from: new Date(T), to: new Date(T + (MAX_EVENT_RATE_MINUTES + 1) * MINUTE) })).rejects.toThrow(RangeError);
  });
});
