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
