/**
 * The timeline cache: storage primitives for newest-first lists of timeline entries, kept in
 * Redis (production) or SQL (embedded mode). It holds nothing that cannot be rebuilt from the
 * read models: a missing list (never built, expired, flushed) reads as `null` and the caller
 * rebuilds it with `store`. Every operation is idempotent, because callers are at-least-once.
 *
 * The rules, exactly (both adapters implement them and test/contract.ts checks them):
 *
 * - A list holds at most one entry per tweetId, ordered by `position` (unique per event), and at
 *   most `maxEntries` entries: when one more would not fit, the oldest goes.
 * - A list is *complete* when it holds the entire history: it was stored with `complete: true`,
 *   nothing was cut by the cap then, and nothing has been trimmed since. Otherwise it is a
 *   gap-free newest slice: it holds every entry at or above its oldest entry, and nothing below
 *   that is known. So an incomplete list never takes an entry older than its oldest entry (it
 *   would sit below a gap), and an incomplete list with no entries takes nothing at all.
 * - A list expires `ttlSeconds` after it was stored or last read (offers do not keep it alive:
 *   fan-out must not keep inactive users' timelines cached). Both adapters skip the refresh
 *   while more than 99% of the TTL is left (the SQL one by the row's expiry, the Redis one by
 *   remembering per process when it last set the TTL), so a list may expire up to 1% early.
 */

export type ListKind = 'home' | 'author';

/** A user's cached home timeline (`home`) or an author's recent-activity list (`author`). */
export interface ListRef {
  readonly kind: ListKind;
  readonly id: string;
}

export interface TimelineEntry {
  /** A lowercase canonical UUID. */
  readonly tweetId: string;
  /** Global event position of the tweet or retweet: the sort key, a safe integer >= 0. */
  readonly position: number;
  /** Lowercase UUID of the retweeter when the entry is a retweet, else null. */
  readonly retweetedBy: string | null;
}

export interface ReadOptions {
  /** Exclusive upper bound on position (a cursor); omit for the newest entries. */
  readonly before?: number;
  /** Most entries to return, an integer from 0 to MAX_READ_LIMIT. */
  readonly limit: number;
}

export interface ListPage {
  /** Newest first, all with position < before. */
  readonly entries: TimelineEntry[];
  /** True iff the list is complete and no entry older than the returned ones remains. */
  readonly reachedEnd: boolean;
  /** Author ids the reader merges at read time, as given to `store`. */
  readonly pulls: string[];
}

export interface StoreOptions {
  /** The entries are the list's entire history (before any cut by the cap). */
  readonly complete: boolean;
  /** Author ids whose `author` lists the reader must merge (a small set; order kept, duplicates dropped). */
  readonly pulls?: readonly string[];
}

export interface OfferOptions {
  /**
   * The caller vouches that the entry is newer than every other entry the listed lists hold, and
   * that they hold no other entry of its tweet: a post or retweet applied in position order (the
   * home-timeline projection checks both in SQL). The outcome is then `offer`'s, and an adapter
   * may skip the per-list checks that could not change it. If the promise is false the lists may
   * end up wrong, so pass it only from such a check.
   */
  readonly newest?: boolean;
}

export interface WithdrawOptions {
  /** Remove the entry only where it is a retweet by this user. */
  readonly onlyRetweetedBy?: string;
  /**
   * Per list (keyed by `listKey`): the entry to put in where one was removed — the tweet's
   * next-earliest entry, computed by the caller. It must be for the same tweet; it is inserted
   * under the same rule as an offer (not below the oldest entry of an incomplete list).
   */
  readonly replacements?: ReadonlyMap<string, TimelineEntry>;
}

export interface TimelineCache {
  readonly maxEntries: number;
  readonly ttlSeconds: number;

  /**
   * Upsert-min `entry` into every listed list that exists (missing lists are skipped, never
   * created). Per list: no entry for the tweet → add it (unless the list is incomplete and the
   * entry is older than its oldest entry), then trim to maxEntries; an entry with a larger
   * position → replaced by this one, retweetedBy included (on an incomplete list, if this one
   * is older than the oldest entry, the tweet's entry is removed instead: its true place is
   * below the gap); an entry at or below this position → kept.
   * Resolves to how many lists now hold exactly this entry (tweetId at this position).
   */
  offer(lists: readonly ListRef[], entry: TimelineEntry, options?: OfferOptions): Promise<number>;

  /**
   * Removes the tweet's entry from each listed list (only where its retweetedBy equals
   * `onlyRetweetedBy`, when given) and puts in the list's replacement, if any. Resolves to how
   * many lists had an entry removed.
   */
  withdraw(lists: readonly ListRef[], tweetId: string, options?: WithdrawOptions): Promise<number>;

  /**
   * Replaces the whole list atomically: one entry per tweet (the smallest position wins), the
   * newest maxEntries kept, complete iff `options.complete` and nothing was cut; sets the TTL.
   */
  store(list: ListRef, entries: readonly TimelineEntry[], options: StoreOptions): Promise<void>;

  /** Deletes lists (and their pulls) so that the next read finds them missing. */
  drop(lists: readonly ListRef[]): Promise<void>;

  /** `null` when the list is missing; otherwise a page, and the list's TTL starts over. */
  read(list: ListRef, options: ReadOptions): Promise<ListPage | null>;

  /** `read` for several lists in one round trip, results in the order given. */
  readMany(lists: readonly ListRef[], options: ReadOptions): Promise<(ListPage | null)[]>;

  /** Deletes every list of this cache (its key prefix or tables only). For tests. */
  clear(): Promise<void>;
}

export interface TimelineCacheOptions {
  /** Cap per list; default DEFAULT_MAX_ENTRIES (platform config: CHIRP_TIMELINE_MAX). */
  readonly maxEntries?: number;
  /** Seconds without a read before a list expires; default DEFAULT_TTL_SECONDS (CHIRP_INACTIVE_DAYS). */
  readonly ttlSeconds?: number;
  /** Lists per round trip in offer/withdraw/drop; default 1000. */
  readonly chunkSize?: number;
  /** Chunks in flight at once; default 4. */
  readonly concurrency?: number;
}

/** Twitter's figure for a cached home timeline. */
export const DEFAULT_MAX_ENTRIES = 800;
/** 14 days: Chirp's default CHIRP_INACTIVE_DAYS. */
export const DEFAULT_TTL_SECONDS = 14 * 24 * 60 * 60;
export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_CONCURRENCY = 4;
/** Largest `limit` a read takes (a page, or a rebuild's look at a whole list). */
export const MAX_READ_LIMIT = 10_000;

/** The string key of a list, used for `WithdrawOptions.replacements`. */
export function listKey(list: ListRef): string {
  return `${list.kind}:${list.id}`;
}
