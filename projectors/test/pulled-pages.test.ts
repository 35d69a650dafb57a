import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PulledPages } from '../src/read-models/home-timeline/pulled-pages.ts';
import { readHomeTimeline } from '../src/read-models/home-timeline/reader.ts';
import { applyBatch, expectedHome, openRig, PairHistory, setups, type TimelineRig } from './home-timeline-support.ts';
import { uuid } from './support.ts';

/**
 * Celebrities' list pages kept in the reading process (pulled-pages.ts): the staleness they allow
 * is bounded by maxAgeMs, and a read that states the position it needs never gets less.
 */
describe.each(setups.filter((s) => s.engine === 'pglite'))('pulled pages kept in memory ($label)', (setup) => {
  let rig: TimelineRig;
  beforeAll(async () => {
    rig = await openRig(setup, 'ht_pulled_pages');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('serve a celebrity page for maxAgeMs, never to a read that needs a later position, and then read Redis again', async () => {
    await rig.reconfigure({ maxEntries: 10, celebrityThreshold: 2 });
    const h = new PairHistory();
    const [u, v, c, a] = ['u', 'v', 'c', 'a'].map((name) => {
      const id = uuid();
      h.register(id, `pp_${name}`);
      return id;
    }) as [string, string, string, string];
    h.follow(u, c);
    h.follow(v, c); // c: 2 followers, a celebrity: pulled at read time
    h.follow(u, a);
    h.post(c, uuid());
    h.post(a, uuid());
    await applyBatch(rig.backend.executor, rig.projection, h.events);

    let now = 1_000_000;
    const pulledPages = new PulledPages({ maxAgeMs: 250, now: () => now });
    const deps = { db: rig.backend.executor, cache: rig.cache, pulledPages };
    const read = (user: string, covers?: number) => readHomeTimeline(deps, user, { limit: 10, ...(covers === undefined ? {} : { covers }) });

    const before = h.events.length;
    expect((await read(u)).items).toEqual(expectedHome(h.events, u));
    expect((await read(v)).items).toEqual(expectedHome(h.events, v)); // v shares u's kept page of c's list

    const later = h.post(c, uuid());
    await applyBatch(rig.backend.executor, rig.projection, h.events.slice(before));
    const stale = expectedHome(h.events.slice(0, before), v);
    const fresh = expectedHome(h.events, v);
    expect(fresh).not.toEqual(stale);

    now += 249;
    expect((await read(v)).items).toEqual(stale); // within maxAgeMs: the kept page
    expect((await read(v, later.position)).items).toEqual(fresh); // read-your-writes: never the kept page
    expect((await read(u)).items).toEqual(expectedHome(h.events, u)); // that read kept the fresh page for everyone
    now += 251;
    expect((await read(v)).items).toEqual(fresh);

    // Without the memo nothing is kept at all.
    const plain = await readHomeTimeline({ db: rig.backend.executor, cache: rig.cache }, v, { limit: 10 });
    expect(plain.items).toEqual(fresh);
  });
});

describe('PulledPages', () => {
  const page = (n: number) => ({ entries: [{ tweetId: `t${n}`, position: n, retweetedBy: null }], reachedEnd: true, pulls: [] });

  it('keeps a page per author, cursor and limit, and nothing when maxAgeMs is 0', () => {
    const pages = new PulledPages({ maxAgeMs: 100, now: () => 0 });
    pages.remember('c', null, 10, 0, page(1), 0);
    expect(pages.get('c', null, 10, 0)).toEqual(page(1));
    expect(pages.get('c', 5, 10, 0)).toBeUndefined();
    expect(pages.get('c', null, 11, 0)).toBeUndefined();
    expect(pages.get('d', null, 10, 0)).toBeUndefined();
    const off = new PulledPages({ maxAgeMs: 0 });
    off.remember('c', null, 10, 0, page(1), Date.now());
    expect(off.get('c', null, 10, 0)).toBeUndefined();
  });

  it('drops the oldest kept page beyond maxEntries', () => {
    const pages = new PulledPages({ maxAgeMs: 100, maxEntries: 2, now: () => 0 });
    for (const a of ['a', 'b', 'c']) pages.remember(a, null, 10, 0, page(1), 0);
    expect(['a', 'b', 'c'].map((a) => pages.get(a, null, 10, 0) !== undefined)).toEqual([false, true, true]);
  });
});
