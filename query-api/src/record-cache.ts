import { KeptValues, type KeptValuesOptions } from '@chirp/projectors/kept-values';

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
 * Concurrent reads missing the same record share one fetch: otherwise every record's expiry
 * sends all the requests in flight at that moment to the database at once.
 */
/** How long a record is served after its fetch began (0 turns the cache off), how many are kept. */
export type RecordCacheOptions = KeptValuesOptions;

interface Flight<T> {
  covers: number;
  result: Promise<Map<string, T>>;
}

export class RecordCache<T> {
  private readonly entries: KeptValues<T>;
  private readonly inFlight = new Map<string, Flight<T>>();

  constructor(
    private readonly fetch: (ids: readonly string[]) => Promise<Map<string, T>>,
    private readonly options: RecordCacheOptions,
  ) {
    this.entries = new KeptValues(options);
  }

  /** The records of `ids` that exist, reflecting at least position `covers` (0: any). */
  async getMany(ids: readonly string[], covers: number): Promise<Map<string, T>> {
    const started = this.entries.now();
    const found = new Map<string, T>();
    const toFetch: string[] = [];
    const joined = new Map<Promise<Map<string, T>>, string[]>();
    for (const id of new Set(ids)) {
      const kept = this.entries.get(id, covers, started);
      if (kept !== undefined) {
        found.set(id, kept);
        continue;
      }
      const flight = this.inFlight.get(id);
      if (flight && flight.covers >= covers) joined.set(flight.result, [...(joined.get(flight.result) ?? []), id]);
      else toFetch.push(id);
    }
    if (toFetch.length > 0) joined.set(this.fetchAndRemember(toFetch, started, covers), toFetch);
    for (const [result, wanted] of joined) {
      const records = await result;
      for (const id of wanted) {
        const value = records.get(id);
        if (value !== undefined) found.set(id, value);
      }
    }
    return found;
  }

  private fetchAndRemember(ids: string[], started: number, covers: number): Promise<Map<string, T>> {
    const flight: Flight<T> = {
      covers,
      result: this.fetch(ids).then((fetched) => {
        for (const [id, value] of fetched) this.entries.remember(id, value, started, covers);
        return fetched;
      }),
    };
    if (this.options.maxAgeMs <= 0) return flight.result;
    for (const id of ids) this.inFlight.set(id, flight);
    const land = () => {
      for (const id of ids) if (this.inFlight.get(id) === flight) this.inFlight.delete(id);
    };
    flight.result.then(land, land);
    return flight.result;
  }
}
