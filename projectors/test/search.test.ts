import { extractHashtags, extractMentions } from '@chirp/domain/text';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../src/cursor.ts';
import { searchProjection } from '../src/read-models/search/projection.ts';
import { searchTweets, searchUsers } from '../src/read-models/search/reader.ts';
import { EmptySearchError, parseSearchQuery } from '../src/read-models/search/search-query.ts';
import { buildHistory, command, deliveryOrder, prng } from './histories.ts';
import { applyEvents, engines, History, interleaveByStream, openBackend, resetProjection, uuid, type Backend } from './support.ts';

describe('search query parsing', () => {
  it('splits exact #tag and @handle terms (negated with -) from the words; quoted phrases stay text', () => {
    expect(parseSearchQuery('rust "#not a tag" #Rust -#spam @Alice -@bob, or go')).toEqual({
      text: 'rust "#not a tag" or go',
      hashtags: { include: ['rust'], exclude: ['spam'] },
      mentions: { include: ['alice'], exclude: ['bob'] },
    });
    expect(() => parseSearchQuery('   ')).toThrow(EmptySearchError);
    expect(() => parseSearchQuery('-#spam')).toThrow(EmptySearchError);
  });
});

describe.each(engines)('search read model on %s', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'search');
  });
  afterAll(async () => {
    await backend?.close();
  });

  const [alice, bob, carol, dave, alicia] = [uuid(), uuid(), uuid(), uuid(), uuid()];
  const ids = {
    rustLearning: uuid(),
    running: uuid(),
    rustLove: uuid(),
    unicode: uuid(),
    spam: uuid(),
    deleted: uuid(),
    phrase: uuid(),
    deletedFirst: uuid(),
  };
  // The History clock starts 2025-01-01T00:00:00Z and moves 1 s per event; searches are made a day later.
  const now = Date.parse('2025-01-02T00:00:00.000Z');
  const post = (h: History, author: string, id: string, text: string) =>
    h.post(author, id, text, { hashtags: extractHashtags(text), mentions: extractMentions(text) });

  function corpus(): History {
    const h = new History();
    h.register(alice, 'alice', 'Alice Smith');
    h.register(bob, 'bob', 'Bob Jones');
    h.register(carol, 'carol', 'Carol Smithers');
    h.register(dave, 'dave_z', 'Dave Zürcher');
    h.register(alicia, 'alicia', 'Alicia Keys');
    h.updateProfile(bob, { displayName: 'Robert Jones' });
    post(h, alice, ids.rustLearning, 'Learning Rust and the #rust borrow checker');
    post(h, bob, ids.running, 'running fast in the park #running');
    post(h, carol, ids.rustLove, 'Rust is great, I love rust @alice');
    post(h, dave, ids.unicode, 'Kaffee und Kuchen in Zürich ☕ #café');
    post(h, alice, ids.spam, 'spam spam #rust buy now');
    post(h, bob, ids.deleted, 'deleted rust tweet');
    h.deleteTweet(bob, ids.deleted);
    post(h, carol, ids.phrase, 'exact phrase: borrow checker rules');
    // Deleted before its post was delivered (the post's stream is interleaved below).
    post(h, dave, ids.deletedFirst, 'rust, deleted quickly');
    h.deleteTweet(dave, ids.deletedFirst);
    return h;
  }

  const found = async (q: string) => (await searchTweets(backend.executor, q, { limit: 50, now })).items.map((i) => i.tweetId);
  const sorted = (xs: string[]) => [...xs].sort();

  beforeAll(async () => {
    await resetProjection(backend.executor, searchProjection);
    const h = corpus();
    // A delivery that keeps each stream's order but interleaves them; everything twice (at-least-once).
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const events = interleaveByStream(h.events, random);
    await applyEvents(backend.executor, searchProjection, [...events, ...events]);
  });

  it('words: stemmed, ranked, deleted tweets never found', async () => {
    expect(sorted(await found('rust'))).toEqual(sorted([ids.rustLearning, ids.rustLove, ids.spam]));
    expect(await found('run')).toEqual([ids.running]); // "running"
    // Relevance: the tweet with all three words ranks above those with one, newer or not.
    const any = await found('rust or borrow or checker');
    expect(any[0]).toBe(ids.rustLearning);
    expect(any.indexOf(ids.rustLearning)).toBeLessThan(any.indexOf(ids.spam));
  });

  it('websearch syntax: "phrases", -exclusions, or', async () => {
    expect(sorted(await found('"borrow checker"'))).toEqual(sorted([ids.rustLearning, ids.phrase]));
    expect(await found('"checker borrow"')).toEqual([]);
    expect(sorted(await found('rust -spam'))).toEqual(sorted([ids.rustLearning, ids.rustLove]));
    expect(sorted(await found('kuchen or park'))).toEqual(sorted([ids.unicode, ids.running]));
  });

  it('#hashtags and @mentions match the extracted tags exactly, and can be excluded', async () => {
    expect(sorted(await found('#rust'))).toEqual(sorted([ids.rustLearning, ids.spam]));
    expect(await found('#RUST spam')).toEqual([ids.spam]);
    expect(await found('rust -#rust')).toEqual([ids.rustLove]);
    expect(await found('@Alice')).toEqual([ids.rustLove]);
    expect(sorted(await found('rust -@alice'))).toEqual(sorted([ids.rustLearning, ids.spam]));
  });

  it('unicode text and tags', async () => {
    expect(await found('zürich')).toEqual([ids.unicode]);
    expect(await found('#café')).toEqual([ids.unicode]);
    expect(await found('☕ kaffee')).toEqual([ids.unicode]);
  });

  it('recency: of two equally relevant tweets the newer ranks first', async () => {
    expect(await found('#rust')).toEqual([ids.spam, ids.rustLearning]);
  });

  it('cursor pages: all results once each, in order, stable while new tweets arrive', async () => {
    const all = await found('rust or borrow or spam');
    expect(all.length).toBe(4);
    const paged: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const result = await searchTweets(backend.executor, 'rust or borrow or spam', { limit: 1, cursor, now });
      paged.push(...result.items.map((i) => i.tweetId));
      cursor = result.nextCursor;
      if (page++ === 0) {
        // A new, highly relevant tweet between pages: after the search's reference time, so not in it.
        const h = new History();
        h.register(uuid(), 'late');
        const late = uuid();
        h.post(alice, late, 'rust rust rust borrow spam', { hashtags: [], mentions: [] });
        await applyEvents(backend.executor, searchProjection, h.events.slice(1).map((e) => ({ ...e, position: e.position * 1000, occurredAt: new Date(now + 60_000).toISOString() })));
      }
    } while (cursor);
    expect(paged).toEqual(all);
    await expect(searchTweets(backend.executor, 'rust', { limit: 1, cursor: 'not-a-cursor' })).rejects.toThrow(InvalidCursorError);
  });

  it('converges to the same tables under any delivery that keeps each stream in order, with redeliveries', async () => {
    const dump = async () => {
      const out: Record<string, string[]> = {};
      for (const table of searchProjection.readsTables ?? []) {
        out[table] = (await backend.executor.query(`SELECT * FROM ${table}`)).rows.map((r) => JSON.stringify(r)).sort();
      }
      return out;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }).chain((users) => fc.record({ users: fc.constant(users), commands: fc.array(command(users), { minLength: 1, maxLength: 60 }), seed: fc.nat() })),
        async ({ users, commands, seed }) => {
          const { events } = buildHistory(users, commands);
          await resetProjection(backend.executor, searchProjection);
          await applyEvents(backend.executor, searchProjection, events);
          const inOrder = await dump();
          await resetProjection(backend.executor, searchProjection);
          await applyEvents(backend.executor, searchProjection, deliveryOrder(events, 'interleaved', prng(seed + 1)));
          expect(await dump()).toEqual(inOrder);
        },
      ),
      { numRuns: 25 },
    );
    // Leave the fixed corpus in place for the other tests.
    await resetProjection(backend.executor, searchProjection);
    const h = corpus();
    await applyEvents(backend.executor, searchProjection, h.events);
  });

  it('users: handle prefix, display-name substring, typos (pg_trgm), updated names', async () => {
    const users = (q: string) => searchUsers(backend.executor, q, { limit: 10 });
    expect(await users('@ali')).toEqual([alice, alicia]); // prefix, shorter handle first
    expect((await users('alice'))[0]).toBe(alice); // the exact handle first
    expect(sorted(await users('smith'))).toEqual(sorted([alice, carol]));
    expect(await users('robert')).toEqual([bob]);
    expect(await users('jones')).toEqual([bob]);
    expect(await users('zürcher')).toEqual([dave]);
    expect(await users('alise')).toContain(alice); // a typo: trigram similarity
    expect(await users('%')).toEqual([]); // LIKE wildcards are literal
  });
});
