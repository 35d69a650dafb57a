import { describe, expect, it } from 'vitest';
import { RecordCache } from '../src/record-cache.ts';

/** A read model stand-in as plain data: what the fetch would find in SQL right now, and how often it was asked. */
function source() {
  const rows = new Map<string, number>([['a', 1], ['b', 2]]);
  const asked: string[][] = [];
  const fetch = async (ids: readonly string[]) => {
    asked.push([...ids]);
    return new Map(ids.flatMap((id) => (rows.has(id) ? [[id, rows.get(id)!] as const] : [])));
  };
  return { rows, asked, fetch };
}

describe('RecordCache', () => {
  it('serves a record for maxAgeMs after its fetch began, then fetches it again', async () => {
    let now = 1_000;
    const s = source();
    const cache = new RecordCache(s.fetch, { maxAgeMs: 500, maxEntries: 10, now: () => now });
    expect(await cache.getMany(['a', 'b'], 0)).toEqual(new Map([['a', 1], ['b', 2]]));
    s.rows.set('a', 10);
    now += 499;
    expect((await cache.getMany(['a'], 0)).get('a')).toBe(1);
    now += 1;
    expect((await cache.getMany(['a'], 0)).get('a')).toBe(10);
    expect(s.asked).toEqual([['a', 'b'], ['a']]);
  });

  it('a read that needs a higher position than a record covers fetches it', async () => {
    const s = source();
    const cache = new RecordCache(s.fetch, { maxAgeMs: 60_000, maxEntries: 10 });
    await cache.getMany(['a'], 5);
    s.rows.set('a', 7);
    expect((await cache.getMany(['a'], 5)).get('a')).toBe(1);
    expect((await cache.getMany(['a'], 6)).get('a')).toBe(7);
    expect((await cache.getMany(['a'], 0)).get('a')).toBe(7); // the fresher record replaced the old one
    expect(s.asked).toEqual([['a'], ['a']]);
  });

  it('never remembers an absence: a record that appears later is found at once', async () => {
    const s = source();
    const cache = new RecordCache(s.fetch, { maxAgeMs: 60_000, maxEntries: 10 });
    expect(await cache.getMany(['c'], 0)).toEqual(new Map());
    s.rows.set('c', 3);
    expect(await cache.getMany(['c'], 0)).toEqual(new Map([['c', 3]]));
  });

  it('keeps at most maxEntries, dropping the longest-unfetched first; maxAgeMs 0 remembers nothing', async () => {
    const s = source();
    s.rows.set('c', 3);
    const cache = new RecordCache(s.fetch, { maxAgeMs: 60_000, maxEntries: 2 });
    await cache.getMany(['a', 'b'], 0);
    await cache.getMany(['c'], 0); // a goes
    s.asked.length = 0;
    await cache.getMany(['a', 'b', 'c'], 0);
    expect(s.asked).toEqual([['a']]);

    const off = source();
    const uncached = new RecordCache(off.fetch, { maxAgeMs: 0, maxEntries: 10 });
    await uncached.getMany(['a'], 0);
    await uncached.getMany(['a'], 0);
    expect(off.asked).toEqual([['a'], ['a']]);
  });
});

describe('RecordCache under concurrent reads', () => {
  it('reads missing the same records at once share one fetch, and each gets what it asked for', async () => {
    const s = source();
    s.rows.set('c', 3);
    const cache = new RecordCache(s.fetch, { maxAgeMs: 60_000, maxEntries: 10 });
    const [x, y, z] = await Promise.all([cache.getMany(['a', 'b'], 0), cache.getMany(['b', 'c'], 0), cache.getMany(['a', 'x'], 0)]);
    expect(x).toEqual(new Map([['a', 1], ['b', 2]]));
    expect(y).toEqual(new Map([['b', 2], ['c', 3]]));
    expect(z).toEqual(new Map([['a', 1]]));
    expect(s.asked).toEqual([['a', 'b'], ['c'], ['x']]);
  });

  it('a read needing a higher position does not join a fetch that covers less', async () => {
    const s = source();
    const cache = new RecordCache(s.fetch, { maxAgeMs: 60_000, maxEntries: 10 });
    await Promise.all([cache.getMany(['a'], 1), cache.getMany(['a'], 2), cache.getMany(['a'], 1)]);
    expect(s.asked).toEqual([['a'], ['a']]);
  });

  it('a failed fetch fails its readers and is not remembered', async () => {
    let fail = true;
    const cache = new RecordCache(async (ids: readonly string[]) => {
      if (fail) throw new Error('database down');
      return new Map(ids.map((id) => [id, 1] as const));
    }, { maxAgeMs: 60_000, maxEntries: 10 });
    await expect(Promise.all([cache.getMany(['a'], 0), cache.getMany(['a'], 0)])).rejects.toThrow('database down');
    fail = false;
    expect(await cache.getMany(['a'], 0)).toEqual(new Map([['a', 1]]));
  });
});
