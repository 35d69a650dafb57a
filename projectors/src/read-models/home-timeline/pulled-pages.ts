import type { ListPage } from '@chirp/timeline-cache';
import { KeptValues } from '../../kept-values.ts';

export interface PulledPagesOptions {
  /** How long a page is served after its read began; 0 keeps nothing. */
  maxAgeMs: number;
  /** Pages kept at most; the oldest read go first. */
  maxEntries?: number;
  now?: () => number;
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
  private readonly pages: KeptValues<ListPage>;

  constructor(options: PulledPagesOptions) {
    this.pages = new KeptValues({ ...options, maxEntries: options.maxEntries ?? 10_000 });
  }

  /** A moment from which a read's age is counted: take it before reading Redis. */
  clock(): number {
    return this.pages.now();
  }

  get(authorId: string, before: number | null, limit: number, covers: number): ListPage | undefined {
    return this.pages.get(key(authorId, before, limit), covers);
  }

  remember(authorId: string, before: number | null, limit: number, covers: number, page: ListPage, readAt: number): void {
    this.pages.remember(key(authorId, before, limit), page, readAt, covers);
  }
}

const key = (authorId: string, before: number | null, limit: number) => `${authorId}|${before ?? ''}|${limit}`;
