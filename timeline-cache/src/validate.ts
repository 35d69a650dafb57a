import {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_TTL_SECONDS,
  listKey,
  MAX_READ_LIMIT,
  type ListRef,
  type ReadOptions,
  type StoreOptions,
  type TimelineCacheOptions,
  type TimelineEntry,
  type WithdrawOptions,
} from './port.ts';

/**
 * Argument checks and normalisation shared by both adapters, so that they accept and reject the
 * same inputs and see the same normalised data (the contract tests compare them observably).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function assertUuid(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new TypeError(`${what} must be a lowercase canonical UUID, got ${JSON.stringify(value)}`);
  }
}

function assertPosition(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a safe integer >= 0, got ${String(value)}`);
  }
}

export function assertEntry(entry: TimelineEntry): void {
  assertUuid(entry.tweetId, 'tweetId');
  assertPosition(entry.position, 'position');
  if (entry.retweetedBy !== null) assertUuid(entry.retweetedBy, 'retweetedBy');
}

export function assertListRef(list: ListRef): void {
  if (list.kind !== 'home' && list.kind !== 'author') {
    throw new TypeError(`list kind must be 'home' or 'author', got ${JSON.stringify(list.kind)}`);
  }
  if (typeof list.id !== 'string' || list.id === '') throw new TypeError('list id must be a non-empty string');
}

/** Validates and de-duplicates lists (a list named twice is one list: counts stay per list). */
export function uniqueLists(lists: readonly ListRef[]): ListRef[] {
  const seen = new Map<string, ListRef>();
  for (const list of lists) {
    assertListRef(list);
    seen.set(listKey(list), { kind: list.kind, id: list.id });
  }
  return [...seen.values()];
}

export function assertReadOptions(options: ReadOptions): void {
  if (!Number.isInteger(options.limit) || options.limit < 0 || options.limit > MAX_READ_LIMIT) {
    throw new RangeError(`limit must be an integer from 0 to ${MAX_READ_LIMIT}, got ${options.limit}`);
  }
  if (options.before !== undefined) assertPosition(options.before, 'before');
}

export function assertWithdraw(tweetId: string, options: WithdrawOptions | undefined): void {
  assertUuid(tweetId, 'tweetId');
  if (options?.onlyRetweetedBy !== undefined) assertUuid(options.onlyRetweetedBy, 'onlyRetweetedBy');
  for (const replacement of options?.replacements?.values() ?? []) {
    assertEntry(replacement);
    if (replacement.tweetId !== tweetId) {
      throw new TypeError(`a replacement must be for the withdrawn tweet ${tweetId}, got ${replacement.tweetId}`);
    }
  }
}

export interface NormalisedStore {
  /** Newest first, one per tweet, at most maxEntries. */
  entries: TimelineEntry[];
  complete: boolean;
  pulls: string[];
}

/** What `store` keeps: the smallest position per tweet, newest maxEntries, complete iff nothing was cut. */
export function normaliseStore(entries: readonly TimelineEntry[], options: StoreOptions, maxEntries: number): NormalisedStore {
  const byTweet = new Map<string, TimelineEntry>();
  for (const entry of entries) {
    assertEntry(entry);
    const held = byTweet.get(entry.tweetId);
    if (!held || entry.position < held.position) byTweet.set(entry.tweetId, entry);
  }
  const sorted = [...byTweet.values()].sort((a, b) => b.position - a.position);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.position === sorted[i - 1]!.position) {
      throw new RangeError(`two tweets share position ${sorted[i]!.position}; positions are unique per event`);
    }
  }
  const pulls = [...new Set(options.pulls ?? [])];
  for (const pull of pulls) if (typeof pull !== 'string' || pull === '') throw new TypeError('pulls must be non-empty strings');
  return {
    entries: sorted.slice(0, maxEntries),
    complete: options.complete === true && sorted.length <= maxEntries,
    pulls,
  };
}

export interface ResolvedOptions {
  maxEntries: number;
  ttlSeconds: number;
  chunkSize: number;
  concurrency: number;
}

export function resolveOptions(options: TimelineCacheOptions): ResolvedOptions {
  const resolved = {
    maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    ttlSeconds: options.ttlSeconds ?? DEFAULT_TTL_SECONDS,
    chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return resolved;
}
