import type { client } from './http-client.ts';

export interface ProjectionsAnswer {
  headPosition: number;
  items: Array<{ name: string; position: number; lagEvents: number; lagSeconds: number | null; eventsPerSecond: number; state: string }>;
}

/** Polls GET /v1/projections until every projection (at least `count`) has no lag; the answer that showed it. */
export async function caughtUp(queries: ReturnType<typeof client>, count = 4, timeoutMs = 10_000): Promise<ProjectionsAnswer> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const status = (await queries.get('/v1/projections')).body as ProjectionsAnswer;
    if (status.items.length >= count && status.items.every((p) => p.lagEvents === 0)) return status;
    if (Date.now() > deadline) throw new Error(`projections did not catch up: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
