import type { StoredEvent } from '@chirp/domain/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trendsProjection } from '../src/read-models/trends/projection.ts';
import { hiddenTrends, readTrends, type TrendWindow } from '../src/read-models/trends/reader.ts';
import { applyEvents, engines, History, interleaveByStream, openBackend, resetProjection, uuid, type Backend } from './support.ts';

const HOUR = 3_600_000;
const T = Date.parse('2026-03-01T12:00:00.000Z');

describe.each(engines)('trends read model on %s', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'trends');
  });
  afterAll(async () => {
    await backend?.close();
  });

  const authors = Array.from({ length: 30 }, () => uuid());
  const operator = uuid();
  const h = new History();
  const events: StoredEvent[] = [];
  /** A post with these tags at event time `at` (History's own clock is replaced: event time decides). */
  const post = (author: string, tags: string[], at: number) => {
    const id = uuid();
    const e = h.post(author, id, tags.map((t) => `#${t}`).join(' '), { hashtags: tags, mentions: [] });
    events.push({ ...e, occurredAt: new Date(at).toISOString() });
    return id;
  };
  const at = (e: StoredEvent, time: number) => events.push({ ...e, occurredAt: new Date(time).toISOString() });

  // #news: steady, 20 authors every hour for the last day and now. #eclipse: 8 authors in the last
  // hour, never before. #rust: 6 now against 1 an hour before. #buynow: one account, 50 times.
  // #gone: 6 authors, all deleted. #hideme: 7 authors now, hidden by an operator.
  for (let hour = 0; hour <= 24; hour++) for (const a of authors.slice(0, 20)) post(a, ['news'], T - hour * HOUR - 10 * 60_000);
  for (const a of authors.slice(0, 8)) post(a, ['eclipse'], T - 30 * 60_000);
  for (let hour = 1; hour <= 24; hour++) post(authors[hour % 30]!, ['rust'], T - hour * HOUR - 5 * 60_000);
  for (const a of authors.slice(10, 16)) post(a, ['rust'], T - 20 * 60_000);
  for (let i = 0; i < 50; i++) post(authors[29]!, ['buynow'], T - 40 * 60_000 + i * 1000);
  for (const a of authors.slice(20, 26)) {
    const id = post(a, ['gone'], T - 15 * 60_000);
    at(h.deleteTweet(a, id), T - 14 * 60_000);
  }
  for (const a of authors.slice(20, 27)) post(a, ['hideme'], T - 25 * 60_000);
  const hide = h.append('trend-hideme', { type: 'TrendHidden', data: { tag: 'hideme', operatorId: operator } });
  const show = h.append('trend-hideme', { type: 'TrendShown', data: { tag: 'hideme', operatorId: operator } });

  const trends = (window: TrendWindow, now = T) => readTrends(backend.executor, { window, now, limit: 10, minAuthors: 5 });
  const tags = async (window: TrendWindow, now = T) => (await trends(window, now)).map((x) => x.tag);

  it('a spike outranks steady higher volume; one account repeating a tag and deleted tweets do not trend', async () => {
    await resetProjection(backend.executor, trendsProjection);
    await applyEvents(backend.executor, trendsProjection, events);
    expect(await tags('1h')).toEqual(['eclipse', 'hideme', 'rust']);
    const [eclipse, , rust] = await trends('1h');
    expect(eclipse).toEqual({ tag: 'eclipse', tweets: 8, authors: 8, baseline: 0, score: 8 });
    expect(rust).toMatchObject({ tag: 'rust', tweets: 6, authors: 6, baseline: 1 });
  });

  it('operators hide and show a tag (events, so a replay agrees)', async () => {
    await applyEvents(backend.executor, trendsProjection, [hide]);
    expect(await tags('1h')).toEqual(['eclipse', 'rust']);
    expect(await hiddenTrends(backend.executor)).toEqual(['hideme']);
    await applyEvents(backend.executor, trendsProjection, [show, hide]); // `hide` again: an old redelivery
    expect(await tags('1h')).toEqual(['eclipse', 'hideme', 'rust']);
  });

  it('windows expire by event time; the day window keeps what the hour window dropped', async () => {
    expect(await tags('1h', T + 2 * HOUR)).toEqual([]);
    // (At the day scale #news is new too: the history above has one day of it, the baseline a week.)
    expect(await tags('24h', T + 2 * HOUR)).toEqual(expect.arrayContaining(['eclipse', 'hideme', 'rust']));
    expect(await tags('24h', T + 30 * HOUR)).not.toContain('eclipse');
  });

  it('a replay in another order, with redeliveries, gives the same trends', async () => {
    const before = { hour: await trends('1h'), day: await trends('24h', T + 2 * HOUR) };
    await resetProjection(backend.executor, trendsProjection);
    let seed = 11;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const all = [...events, hide, show];
    await applyEvents(backend.executor, trendsProjection, [...interleaveByStream(all, random), ...all.slice(0, 100)]);
    expect({ hour: await trends('1h'), day: await trends('24h', T + 2 * HOUR) }).toEqual(before);
  });
});
