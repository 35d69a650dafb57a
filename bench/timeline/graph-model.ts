/**
 * The synthetic social graph, decided in memory before anything is written: users ranked by
 * popularity, in-degrees from a Zipf–Mandelbrot law d(r) = C / (r + q)^s capped at N − 1, with C
 * chosen so the top account has `topFraction` of all users as followers. With the defaults at
 * 100k users: ~700k follows, 3 accounts at 50k–90k followers, ~15 above the 10k celebrity
 * threshold, ~45 between 1k and 10k, and a long tail with a handful or none.
 *
 * Followers are drawn uniformly (seeded, so a run is reproducible). A few users are reserved as
 * the measured readers and observers: their random follows are replaced by designed ones.
 */

export interface GraphOptions {
  users: number;
  /** Zipf exponent s. */
  exponent: number;
  /** Mandelbrot shift q (flattens the head so several accounts are huge). */
  shift: number;
  /** Followers of the top account as a fraction of all users. */
  topFraction: number;
  celebrityThreshold: number;
  /** Tweets already posted by each author with followers (more for celebrities). */
  tweetsPerAuthor: number;
  tweetsPerCelebrity: number;
  /** Ordinary accounts the two readers follow (besides the celebrities the second one follows). */
  readerFollows: number;
  /** Authors whose posts the delivery-lag run sends, and users observing them. */
  lagAuthors: number;
  lagObservers: number;
  seed: number;
}

export const defaultGraphOptions = (users: number): GraphOptions => ({
  users,
  exponent: 2,
  shift: 6,
  topFraction: 0.9,
  celebrityThreshold: 10_000,
  tweetsPerAuthor: 3,
  tweetsPerCelebrity: 20,
  readerFollows: 50,
  lagAuthors: 100,
  lagObservers: 4,
  seed: 42,
});

export interface User {
  index: number;
  userId: string;
  handle: string;
}

export interface Graph {
  options: GraphOptions;
  users: User[];
  /** followees[i]: indexes of the users user i follows. */
  followees: number[][];
  /** followerCount[i]: how many follow user i. */
  followerCount: number[];
  followCount: number;
  /** Users with ≥ celebrityThreshold followers, most followed first. */
  celebrities: number[];
  /** Authors (index) and how many tweets each has before the run. */
  tweetCounts: Map<number, number>;
  /** Follows no celebrity; follows `readerFollows` ordinary authors. */
  plainReader: number;
  /** Follows the three biggest celebrities and the same ordinary authors. */
  celebrityReader: number;
  /** The most-followed ordinary (non-celebrity) author: post latency and fan-out per post. */
  ordinaryAuthor: number;
  /** The most-followed celebrity. */
  celebrityAuthor: number;
  lagAuthors: number[];
  lagObservers: number[];
}

/** mulberry32: a small, fast, seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A version-4-shaped UUID from the PRNG (lowercase, as the domain's ids are). */
export function seededUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(random() * 4)]!;
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** In-degree of the account at rank r (1-based). */
export function inDegree(o: GraphOptions, rank: number): number {
  const c = o.topFraction * o.users * Math.pow(1 + o.shift, o.exponent);
  return Math.min(o.users - 1, Math.floor(c / Math.pow(rank + o.shift, o.exponent)));
}

export function buildGraph(o: GraphOptions): Graph {
  const n = o.users;
  const random = prng(o.seed);
  // Ids come from the seeded PRNG too: the same options give the same graph, so a saved fixture
  // (fixture.ts) can be reused with the graph rebuilt in memory.
  const users: User[] = Array.from({ length: n }, (_, index) => ({ index, userId: seededUuid(random), handle: `bench_${index}` }));
  const followees: number[][] = Array.from({ length: n }, () => []);

  // Reserved users: the least popular ones (rank n, n-1, …), whose follows are designed below.
  const reserved = new Set<number>();
  const plainReader = n - 1;
  const celebrityReader = n - 2;
  const lagObservers = Array.from({ length: o.lagObservers }, (_, i) => n - 3 - i);
  for (const u of [plainReader, celebrityReader, ...lagObservers]) reserved.add(u);

  // Account at index i has rank i + 1.
  for (let i = 0; i < n; i++) {
    const d = inDegree(o, i + 1);
    if (d === 0) continue;
    if (d > n / 8) {
      const p = d / (n - 1);
      for (let f = 0; f < n; f++) if (f !== i && !reserved.has(f) && random() < p) followees[f]!.push(i);
    } else {
      const chosen = new Set<number>();
      while (chosen.size < d) {
        const f = Math.floor(random() * n);
        if (f !== i && !reserved.has(f)) chosen.add(f);
      }
      for (const f of chosen) followees[f]!.push(i);
    }
  }

  const followerCount = new Array<number>(n).fill(0);
  const tally = () => {
    followerCount.fill(0);
    for (const list of followees) for (const e of list) followerCount[e]!++;
  };
  tally();
  const isCelebrity = (i: number) => followerCount[i]! >= o.celebrityThreshold;
  // Ordinary authors with followers, most followed first (excluding reserved users).
  const ordinary = users.map((u) => u.index).filter((i) => !isCelebrity(i) && followerCount[i]! > 0 && !reserved.has(i));
  const readerFollows = ordinary.slice(0, o.readerFollows);
  const celebrities = users.map((u) => u.index).filter(isCelebrity);
  if (celebrities.length < 3) throw new Error(`the graph has ${celebrities.length} celebrities; at least 3 are needed (more --users?)`);
  followees[plainReader] = [...readerFollows];
  followees[celebrityReader] = [...celebrities.slice(0, 3), ...readerFollows];
  // Lag authors: ordinary accounts spread over the follower range (every k-th of the ordinary list).
  const step = Math.max(1, Math.floor(Math.min(ordinary.length, 20 * o.lagAuthors) / o.lagAuthors));
  const lagAuthors = ordinary.filter((_, k) => k % step === 0).slice(0, o.lagAuthors);
  for (const obs of lagObservers) followees[obs] = [...lagAuthors];
  tally();

  const tweetCounts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (followerCount[i]! === 0 && !reserved.has(i)) continue;
    tweetCounts.set(i, isCelebrity(i) ? o.tweetsPerCelebrity : o.tweetsPerAuthor);
  }
  let followCount = 0;
  for (const list of followees) followCount += list.length;
  return {
    options: o,
    users,
    followees,
    followerCount,
    followCount,
    celebrities,
    tweetCounts,
    plainReader,
    celebrityReader,
    ordinaryAuthor: ordinary[0]!,
    celebrityAuthor: celebrities[0]!,
    lagAuthors,
    lagObservers,
  };
}

/** Followers of `author`, for warming their cached timelines. */
export function followersOf(graph: Graph, author: number): number[] {
  const out: number[] = [];
  graph.followees.forEach((list, f) => {
    if (list.includes(author)) out.push(f);
  });
  return out;
}

export function describeGraph(g: Graph): Record<string, number | string> {
  const counts = [...g.followerCount].sort((a, b) => b - a);
  let tweets = 0;
  for (const c of g.tweetCounts.values()) tweets += c;
  return {
    users: g.users.length,
    follows: g.followCount,
    tweets,
    celebrities: g.celebrities.length,
    accountsWith50kPlus: counts.filter((c) => c >= 50_000).length,
    topFollowerCounts: counts.slice(0, 5).join(', '),
    ordinaryAuthorFollowers: g.followerCount[g.ordinaryAuthor]!,
    celebrityAuthorFollowers: g.followerCount[g.celebrityAuthor]!,
    medianFollowers: counts[Math.floor(counts.length / 2)]!,
  };
}
