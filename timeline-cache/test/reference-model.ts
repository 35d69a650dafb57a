import type { ListPage, ListRef, ReadOptions, StoreOptions, TimelineEntry, WithdrawOptions } from '../src/port.ts';
import { listKey } from '../src/port.ts';

interface ModelList {
  entries: Map<string, TimelineEntry>;
  complete: boolean;
  pulls: string[];
  expiresAt: number;
}

/**
 * The oracle for the property test: the cache rules of src/port.ts written as naively as
 * possible over plain Maps (whole-list scans, no cleverness). Test-only; never used in production.
 */
export class ReferenceCache {
  private readonly lists = new Map<string, ModelList>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly clock: () => number = () => 0,
  ) {}

  private live(list: ListRef): ModelList | undefined {
    const held = this.lists.get(listKey(list));
    return held && held.expiresAt > this.clock() ? held : undefined;
  }

  private oldest(list: ModelList): number | undefined {
    const positions = [...list.entries.values()].map((e) => e.position);
    return positions.length === 0 ? undefined : Math.min(...positions);
  }

  /** May `position` go into the list without sitting below a gap? */
  private fits(list: ModelList, position: number): boolean {
    if (list.complete) return true;
    const oldest = this.oldest(list);
    return oldest !== undefined && position >= oldest;
  }

  offer(lists: readonly ListRef[], entry: TimelineEntry): number {
    let held = 0;
    for (const ref of new Map(lists.map((l) => [listKey(l), l])).values()) {
      const list = this.live(ref);
      if (!list) continue;
      const current = list.entries.get(entry.tweetId);
      if (current) {
        if (current.position === entry.position) held++;
        else if (entry.position < current.position) {
          if (this.fits(list, entry.position)) {
            list.entries.set(entry.tweetId, entry);
            held++;
          } else {
            list.entries.delete(entry.tweetId);
          }
        }
        continue;
      }
      if (!this.fits(list, entry.position)) continue;
      list.entries.set(entry.tweetId, entry);
      while (list.entries.size > this.maxEntries) {
        const lowest = [...list.entries.values()].reduce((a, b) => (b.position < a.position ? b : a));
        list.entries.delete(lowest.tweetId);
        list.complete = false;
      }
      if (list.entries.get(entry.tweetId)?.position === entry.position) held++;
    }
    return held;
  }

  withdraw(lists: readonly ListRef[], tweetId: string, options: WithdrawOptions = {}): number {
    let removed = 0;
    for (const ref of new Map(lists.map((l) => [listKey(l), l])).values()) {
      const list = this.live(ref);
      const current = list?.entries.get(tweetId);
      if (!list || !current) continue;
      if (options.onlyRetweetedBy !== undefined && current.retweetedBy !== options.onlyRetweetedBy) continue;
      list.entries.delete(tweetId);
      removed++;
      const replacement = options.replacements?.get(listKey(ref));
      if (replacement && this.fits(list, replacement.position)) list.entries.set(tweetId, replacement);
    }
    return removed;
  }

  store(ref: ListRef, entries: readonly TimelineEntry[], options: StoreOptions): void {
    const earliest = new Map<string, TimelineEntry>();
    for (const e of entries) {
      const held = earliest.get(e.tweetId);
      if (!held || e.position < held.position) earliest.set(e.tweetId, e);
    }
    const newestFirst = [...earliest.values()].sort((a, b) => b.position - a.position);
    const kept = newestFirst.slice(0, this.maxEntries);
    this.lists.set(listKey(ref), {
      entries: new Map(kept.map((e) => [e.tweetId, e])),
      complete: options.complete && kept.length === newestFirst.length,
      pulls: [...new Set(options.pulls ?? [])],
      expiresAt: this.clock() + this.ttlMs,
    });
  }

  drop(lists: readonly ListRef[]): void {
    for (const ref of lists) this.lists.delete(listKey(ref));
  }

  read(ref: ListRef, options: ReadOptions): ListPage | null {
    const list = this.live(ref);
    if (!list) return null;
    list.expiresAt = this.clock() + this.ttlMs;
    const older = [...list.entries.values()]
      .filter((e) => options.before === undefined || e.position < options.before)
      .sort((a, b) => b.position - a.position);
    return {
      entries: older.slice(0, options.limit),
      reachedEnd: list.complete && older.length <= options.limit,
      pulls: [...list.pulls],
    };
  }
}
