import type { ListPage } from '@chirp/timeline-cache';

export interface PulledPagesOptions {
  /** How long a page is served after its read began; 0 keeps nothing. */
  maxAgeMs: number;
  /** Pages kept at most; the oldest read go first. */
  maxEntries?: number;
  now?: () => number;
}

interface Kept {
  page: ListPage;
  readAt: number;
  /** The projection had applied at least this position when the read began. */
  covers: number;
}

/**
 * Pages of celebrities' author lists, kept in the reading process for a moment. Every follower of
 * a celebrity merges the same first page of the same list, so at thousands of reads per second
 * one Redis read per page and moment serves them all, and a follower of three celebrities costs
 * about what a follower of none does.
 *
 * The price is bounded: a celebrity's new entry reaches followers' pages at most `maxAgeMs` after
 * the projection applied it — except for a read that asks for a position (read-your-writes), which
 * only takes pages read after the projection had reached it. Home lists are never kept: they are
 * each user's own and change with every fan-out.
 */
export class PulledPages {
  private readonly kept = new Map<string, Kept>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: PulledPagesOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** A moment from which a read's age is counted: take it before reading Redis. */
  clock(): number {
    return this.now();
  }

  get(authorId: string, before: number | null, limit: number, covers: number): ListPage | undefined {
    const kept = this.kept.get(key(authorId, before, limit));
    if (!kept || this.now() - kept.readAt >= this.options.maxAgeMs || kept.covers < covers) return undefined;
    return kept.page;
  }

  remember(authorId: string, before: number | null, limit: number, covers: number, page: ListPage, readAt: number): void {
    if (this.options.maxAgeMs <= 0 || this.maxEntries <= 0) return;
    const k = key(authorId, before, limit);
    this.kept.delete(k);
    if (this.kept.size >= this.maxEntries) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(k, { page, readAt, covers });
  }
}

const key = (authorId: string, before: number | null, limit: number) => `${authorId}|${before ?? ''}|${limit}`;
