import { z } from 'zod';
import { parseQuery } from '@chirp/http-kit';

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});

export type PageRequest = z.infer<typeof Page>;

export function parsePage(query: unknown): PageRequest {
  return parseQuery(Page.passthrough(), query);
}
