import type { SqlExecutor, SqlQueryable } from '@chirp/event-store/sql/executor';
import type { ListPage, ListRef, TimelineCache, TimelineEntry } from '@chirp/timeline-cache';
import { decodeCursor, encodeCursor, validateLimit } from '../../cursor.ts';
import { authorList, homeList } from './lists.ts';
import type { PulledPages } from './pulled-pages.ts';
import { preceded, referenceEntries } from './queries.ts';
import { rebuildAuthor, rebuildHome } from './rebuild.ts';
import { instruments } from '@chirp/telemetry';

export interface HomeTimelineItem {
  tweetId: string;
  /** The tweet's author: set by the SQL-only reader; the cached reader leaves it out (hydration has it). */
  authorId?: string;
  /** Set when the entry that brought the tweet into the timeline is a retweet (by a followee or the user). */
  retweetedBy?: string;
  /** Position of that entry's event; the timeline is ordered by it, newest first. */
  sortPosition: number;
}

export interface HomeTimelinePage {
  items: HomeTimelineItem[];
  /** Opaque cursor for the next (older) page; null when there is none. */
  nextCursor: string | null;
}

export interface HomeTimelineOptions {
  limit: number;
  /** A nextCursor from a previous page; invalid → InvalidCursorError. */
  cursor?: string | null;
  /**
   * The position the caller knows the projection has applied (what a read-your-writes request
   * waited for): pages kept by `pulledPages` from before it are not used. Default 0.
   */
  covers?: number;
}

/** What the cached reader needs: the projection's database (rebuilds, SQL continuation) and the cache. */
export interface HomeTimelineReaderDeps {
  db: SqlExecutor;
  cache: TimelineCache;
  /** Celebrities' list pages kept in memory for a moment (pulled-pages.ts); without it every read asks Redis. */
  pulledPages?: PulledPages;
}

/**
 * home(u) = u's own tweets and retweets + tweets and retweets by the accounts u follows, minus
 * deleted tweets and undone retweets, each tweet once: the earliest visible entry for a tweet wins
 * (an original by u or a followee, or the first retweet by u or a followee), ordered by that
 * entry's position, newest first. The cursor is that position (cursor.ts).
 *
 * - `readHomeTimeline({ db, cache }, …)`: the production path (docs/timelines.md) — the user's
 *   cached list merged with the recent lists of the celebrities they follow; rebuilt from SQL when
 *   missing; continued from SQL past the cache's cap.
 * - `readHomeTimeline(db, …)`: fan-out on read in SQL alone (the reference; serves the cache-less
 *   projection).
 */
export async function readHomeTimeline(source: HomeTimelineReaderDeps | SqlQueryable, userId: string, options: HomeTimelineOptions): Promise<HomeTimelinePage> {
  const limit = validateLimit(options.limit);
  const before = options.cursor ? decodeCursor(options.cursor) : null;
  const started = performance.now();
  const read = 'cache' in source ? await readCached(source, userId, limit, before, options.covers ?? 0) : { page: await readFromSql(source, userId, limit, before), from: 'sql' as const };
  instruments().timelineReadDuration.record((performance.now() - started) / 1000, { source: read.from });
  return read.page;
}

/**
 * Fan-out on read: the de-duplication (DISTINCT ON) runs over every visible entry before the
 * cursor and LIMIT, so a page is full whenever older entries exist. The earliest entry of a tweet
 * is older than every other entry of it, so filtering by the cursor before DISTINCT ON keeps it.
 */
async function readFromSql(db: SqlQueryable, userId: string, limit: number, before: number | null): Promise<HomeTimelinePage> {
  const rows = await referenceEntries(db, userId, { before, limit: limit + 1 });
  const items = rows.slice(0, limit).map((r): HomeTimelineItem => {
    const item: HomeTimelineItem = { tweetId: r.tweetId, authorId: r.authorId, sortPosition: r.position };
    if (r.retweetedBy) item.retweetedBy = r.retweetedBy;
    return item;
  });
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.sortPosition) : null };
}

// Which celebrities a user pulled last time, so that the common read is one round trip
// (home list + author lists together). Only a hint: the home list's own pulls decide.
const pullHints = new WeakMap<TimelineCache, Map<string, readonly string[]>>();
const MAX_HINTS = 50_000;

function hintsOf(cache: TimelineCache): Map<string, readonly string[]> {
  let hints = pullHints.get(cache);
  if (!hints) pullHints.set(cache, (hints = new Map()));
  return hints;
}

interface Source {
  page: ListPage;
  /** From a celebrity's list: its retweets need the "no earlier entry" check. */
  pulled: boolean;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Reads the user's home list and the lists it pulls, all below `before`, `limit` entries each:
 * one readMany when the pull hint is right. A missing list is rebuilt from SQL and read again;
 * resolves to null when the home list keeps vanishing (dropped by fan-out as fast as it is built),
 * and the caller serves from SQL.
 */
async function readSources(
  deps: HomeTimelineReaderDeps,
  userId: string,
  before: number | null,
  limit: number,
  covers: number,
): Promise<Source[] | null> {
  const { cache, db, pulledPages } = deps;
  const hints = hintsOf(cache);
  const read = { limit, ...(before === null ? {} : { before }) };
  /** Author pages: from memory where a fresh one is kept, the rest in one readMany with the home list. */
  const readWithAuthors = async (withHome: boolean, authors: readonly string[]) => {
    const readAt = pulledPages?.clock() ?? 0;
    const kept = authors.map((a) => pulledPages?.get(a, before, limit, covers) ?? null);
    const toRead = authors.filter((_, i) => !kept[i]);
    const pages = await cache.readMany([...(withHome ? [homeList(userId)] : []), ...toRead.map(authorList)], read);
    const offset = withHome ? 1 : 0;
    let next = 0;
    const authorPages = authors.map((a, i) => {
      if (kept[i]) return kept[i];
      const page = pages[offset + next++] ?? null;
      if (page) pulledPages?.remember(a, before, limit, covers, page, readAt);
      return page;
    });
    return { home: withHome ? (pages[0] ?? null) : null, authorPages };
  };
  let pulls = hints.get(userId) ?? [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const { home, authorPages } = await readWithAuthors(true, pulls);
    // Counted once per read of the list: a retry after a rebuild is not a second lookup.
    if (attempt === 0) instruments().timelineCacheReads.add(1, { list: 'home', result: home ? 'hit' : 'miss' });
    if (!home) {
      instruments().timelineCacheRebuilds.add(1, { list: 'home' });
      await rebuildHome(db, cache, userId);
      continue;
    }
    if (!sameSet(home.pulls, pulls)) {
      hints.delete(userId);
      if (hints.size >= MAX_HINTS) hints.delete(hints.keys().next().value!);
      hints.set(userId, home.pulls);
      const known = new Map(pulls.map((p, i) => [p, authorPages[i] ?? null]));
      const missing = home.pulls.filter((p) => !known.has(p));
      const more = missing.length > 0 ? (await readWithAuthors(false, missing)).authorPages : [];
      missing.forEach((p, i) => known.set(p, more[i] ?? null));
      pulls = home.pulls;
      const authors = pulls.map((p) => known.get(p) ?? null);
      const done = await completeAuthors(deps, pulls, authors, read);
      return [{ page: home, pulled: false }, ...done.map((page) => ({ page, pulled: true }))];
    }
    const done = await completeAuthors(deps, pulls, authorPages, read);
    return [{ page: home, pulled: false }, ...done.map((page) => ({ page, pulled: true }))];
  }
  return null;
}

/** Rebuilds and reads the author lists that were missing. */
async function completeAuthors(
  deps: HomeTimelineReaderDeps,
  authors: readonly string[],
  pages: readonly (ListPage | null)[],
  read: { limit: number; before?: number },
): Promise<ListPage[]> {
  const out: ListPage[] = [];
  for (const [i, authorId] of authors.entries()) {
    let page = pages[i] ?? null;
    // Every pulled author list once: found (in Redis or the in-memory pages) or missing.
    instruments().timelineCacheReads.add(1, { list: 'author', result: page ? 'hit' : 'miss' });
    for (let attempt = 0; !page && attempt < 3; attempt++) {
      instruments().timelineCacheRebuilds.add(1, { list: 'author' });
      await rebuildAuthor(deps.db, deps.cache, authorId);
      page = await deps.cache.read(authorList(authorId), read);
    }
    // An author list that keeps vanishing reads as empty and incomplete: the page continues from SQL.
    out.push(page ?? { entries: [], reachedEnd: false, pulls: [] });
  }
  return out;
}

/** Of the retweets at or above the horizon merged from celebrities' lists, those u already sees an earlier entry of. */
async function rejectedRetweets(db: SqlQueryable, userId: string, sources: readonly Source[], horizon: number): Promise<Set<string>> {
  const checks: TimelineEntry[] = [];
  for (const { page, pulled } of sources) {
    if (!pulled) continue;
    for (const entry of page.entries) if (entry.position >= horizon && entry.retweetedBy !== null) checks.push(entry);
  }
  return checks.length > 0 ? preceded(db, userId, checks) : new Set();
}

/** Emits everything at or above the horizon, the earliest entry per tweet, newest first. */
function mergeSources(sources: readonly Source[], horizon: number, rejected: ReadonlySet<string>, emit: (e: TimelineEntry) => void): void {
  const best = new Map<string, TimelineEntry>();
  for (const { page } of sources) {
    for (const entry of page.entries) {
      if (entry.position < horizon || (rejected.size > 0 && rejected.has(`${entry.tweetId}@${entry.position}`))) continue;
      const current = best.get(entry.tweetId);
      if (!current || entry.position < current.position) best.set(entry.tweetId, entry);
    }
  }
  for (const entry of [...best.values()].sort((a, b) => b.position - a.position)) emit(entry);
}

/**
 * The k-way merge. Each round reads `need` entries below the current position from every list,
 * and emits the entries at or above the *horizon* — the highest position down to which every list
 * is known (a list that returned `need` entries is known down to its last; an exhausted complete
 * list entirely; an exhausted incomplete list down to its oldest entry, and below that only SQL
 * knows). De-duplication and the celebrity-retweet check run before the page is cut, and a page
 * is read to limit + 1 entries, so pages are full whenever older entries exist and the cursor is
 * null exactly at the end. When the cache runs out above the end of the history, the page
 * continues from SQL below the horizon with the same cursor semantics (position).
 */
/** Where a page came from: the cached lists alone, or partly SQL (past the cache's cap, or a list that kept vanishing). */
type CachedRead = { page: HomeTimelinePage; from: 'cache' | 'cache+sql' };

async function readCached(deps: HomeTimelineReaderDeps, userId: string, limit: number, before: number | null, covers: number): Promise<CachedRead> {
  const want = limit + 1;
  let from: CachedRead['from'] = 'cache';
  const out: TimelineEntry[] = [];
  const emitted = new Set<string>();
  const emit = (e: TimelineEntry) => {
    if (emitted.has(e.tweetId)) return;
    emitted.add(e.tweetId);
    out.push(e);
  };
  let pos = before;
  for (;;) {
    const need = want - out.length;
    const sources = await readSources(deps, userId, pos, need, covers);
    if (!sources) {
      from = 'cache+sql';
      for (const e of await referenceEntries(deps.db, userId, { before: pos, limit: need })) emit(e);
      break;
    }
    const top = pos ?? Number.POSITIVE_INFINITY;
    let horizon = Number.NEGATIVE_INFINITY;
    let cacheEnds = false;
    for (const { page } of sources) {
      const exhausted = page.entries.length < need;
      const last = page.entries[page.entries.length - 1];
      const known = !exhausted ? last!.position : page.reachedEnd ? Number.NEGATIVE_INFINITY : (last?.position ?? top);
      if (known > horizon || (known === horizon && exhausted && !page.reachedEnd)) {
        horizon = known;
        cacheEnds = exhausted && !page.reachedEnd;
      }
    }
    if (sources.length === 1) {
      // The home list alone (no celebrity followed): one entry per tweet, newest first already.
      for (const entry of sources[0]!.page.entries) if (entry.position >= horizon) emit(entry);
    } else {
      mergeSources(sources, horizon, await rejectedRetweets(deps.db, userId, sources, horizon), emit);
    }
    if (out.length >= want || horizon === Number.NEGATIVE_INFINITY) break;
    if (cacheEnds) {
      // Past the cache: the rest of the history comes from SQL, strictly below the horizon.
      from = 'cache+sql';
      const rest = await referenceEntries(deps.db, userId, { before: horizon === top ? pos : horizon, limit: want - out.length });
      for (const e of rest) emit(e);
      break;
    }
    pos = horizon;
  }
  const items = out.slice(0, limit).map((e): HomeTimelineItem => {
    const item: HomeTimelineItem = { tweetId: e.tweetId, sortPosition: e.position };
    if (e.retweetedBy) item.retweetedBy = e.retweetedBy;
    return item;
  });
  const last = items[items.length - 1];
  return { page: { items, nextCursor: out.length > limit && last ? encodeCursor(last.sortPosition) : null }, from };
}
