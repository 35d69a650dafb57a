export interface KeptValuesOptions {
  /** How long a value is served after its read began; 0 keeps nothing. */
  maxAgeMs: number;
  /** Values kept at most; the one read longest ago goes first. */
  maxEntries: number;
  now?: () => number;
}

interface Kept<V> {
  value: V;
  readAt: number;
  /** The projections had applied at least this position when the read began. */
  covers: number;
}

/**
 * Read-model values kept in a reading process for a short time, under the two rules that make
 * such a cache honest (the query API's records, the home timeline's pulled pages):
 * - *bounded staleness*: a value is served for at most `maxAgeMs` after its read began;
 * - *read-your-writes holds exactly*: each value remembers the position its read was known to
 *   cover, and a read that needs a later position does not get it.
 */
export class KeptValues<V> {
  private readonly kept = new Map<string, Kept<V>>();
  readonly now: () => number;

  constructor(private readonly options: KeptValuesOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The value of `key` if its read began less than maxAgeMs before `at` and covers `covers`. */
  get(key: string, covers: number, at: number = this.now()): V | undefined {
    const kept = this.kept.get(key);
    if (!kept || at - kept.readAt >= this.options.maxAgeMs || kept.covers < covers) return undefined;
    return kept.value;
  }

  remember(key: string, value: V, readAt: number, covers: number): void {
    if (this.options.maxAgeMs <= 0 || this.options.maxEntries <= 0) return;
    // Re-inserting moves the key to the back of the eviction order.
    this.kept.delete(key);
    if (this.kept.size >= this.options.maxEntries) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(key, { value, readAt, covers });
  }
}
