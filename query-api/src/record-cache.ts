/**
 * Read-model records by id (tweets, profiles), fetched in bulk and kept in this process for a
 * short time: a home timeline read then hydrates its page without a database round trip, as
 * Twitter's tweet cache does for its timeline service. Every page of every follower of an author
 * asks for the same few recent tweets, so most lookups hit.
 *
 * Two rules keep it honest:
 * - *Bounded staleness*: a record is served for at most `maxAgeMs` after its fetch began, so a
 *   like count, a display name or a deletion shows within that time (on top of the projection's
 *   own lag).
 * - *Read-your-writes holds exactly*: a read that waited for position p (Chirp-Min-Position)
 *   takes only records fetched after the projections had reached p, so it never sees less than
 *   its own writes. Each record remembers the position its fetch was known to cover.
 * Absent ids (not projected yet, deleted) are never remembered: the next read asks again.
 */
export interface RecordCacheOptions {
  /** How long a record is served after its fetch began; 0 turns the cache off. */
  maxAgeMs: number;
  /** Records kept at most; the oldest fetched go first. */
  maxEntries: number;
  now?: () => number;
}

interface Entry<T> {
  value: T;
  fetchedAt: number;
  /** The projections had applied at least this position when the fetch began. */
  covers: number;
}

export class RecordCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(
    private readonly fetch: (ids: readonly string[]) => Promise<Map<string, T>>,
    private readonly options: RecordCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The records of `ids` that exist, reflecting at least position `covers` (0: any). */
  async getMany(ids: readonly string[], covers: number): Promise<Map<string, T>> {
    const started = this.now();
    const found = new Map<string, T>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const entry = this.entries.get(id);
      if (entry && started - entry.fetchedAt < this.options.maxAgeMs && entry.covers >= covers) found.set(id, entry.value);
      else missing.push(id);
    }
    this.hits += found.size;
    this.misses += missing.length;
    if (missing.length === 0) return found;
    const fetched = await this.fetch(missing);
    for (const [id, value] of fetched) {
      found.set(id, value);
      this.remember(id, { value, fetchedAt: started, covers });
    }
    return found;
  }

  private remember(id: string, entry: Entry<T>): void {
    if (this.options.maxAgeMs <= 0 || this.options.maxEntries <= 0) return;
    // Re-inserting moves the id to the back of the eviction order.
    this.entries.delete(id);
    if (this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, entry);
  }
}
