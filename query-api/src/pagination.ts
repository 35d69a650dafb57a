import { z } from 'zod';
import { parseQuery } from '@chirp/http-kit';

// Loose: other query parameters (minPosition) belong to other parsers. Built once: a zod schema
// compiles its fast path on first use, so a schema made per request recompiles on every request.
const Page = z.looseObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});

export type PageRequest = z.infer<typeof Page>;

export function parsePage(query: unknown): PageRequest {
  return parseQuery(Page, query);
}

const Search = z.looseObject({
  q: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(400).optional(),
});

export type SearchRequest = z.infer<typeof Search>;

/** `q` plus a page (the search cursor is longer than a position cursor: it carries a score). */
export function parseSearch(query: unknown): SearchRequest {
  return parseQuery(Search, query);
}
