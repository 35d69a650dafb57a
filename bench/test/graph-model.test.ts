import { describe, expect, it } from 'vitest';
import { buildGraph, defaultGraphOptions, inDegree } from '../timeline/graph-model.ts';

describe('graph model (bench generator)', () => {
  it('meets the benchmark shape at 100k users: a few accounts at 50k–100k followers, Zipf tail', () => {
    const o = defaultGraphOptions(100_000);
    expect(inDegree(o, 1)).toBeGreaterThanOrEqual(50_000);
    expect(inDegree(o, 1)).toBeLessThanOrEqual(100_000);
    expect(inDegree(o, 3)).toBeGreaterThanOrEqual(50_000);
    expect(inDegree(o, 4)).toBeLessThan(50_000);
    expect(inDegree(o, 1000)).toBeLessThan(100);
  });

  it('is deterministic for the same options and designs the readers as stated', () => {
    const o = { ...defaultGraphOptions(3_000), celebrityThreshold: 300 };
    const a = buildGraph(o);
    const b = buildGraph(o);
    expect(a.users.map((u) => u.userId)).toEqual(b.users.map((u) => u.userId));
    expect(a.followees).toEqual(b.followees);
    const celebrities = new Set(a.celebrities);
    expect(a.followees[a.plainReader]!.some((f) => celebrities.has(f))).toBe(false);
    expect(a.followees[a.celebrityReader]!.filter((f) => celebrities.has(f))).toHaveLength(3);
    expect(a.followerCount[a.ordinaryAuthor]!).toBeLessThan(300);
    for (const obs of a.lagObservers) expect(a.followees[obs]).toEqual(a.lagAuthors);
  });
});
