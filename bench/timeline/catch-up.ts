import type { EventStore, SqlQueryable } from '@chirp/event-store';
import { Progress } from '@chirp/platform/progress';
import { sleep } from './stats.ts';

/**
 * Waits until every named projection's checkpoint has reached `head` (the store's head, read
 * before the projectors started: once they run, an open batch transaction hides the events after
 * it from readers, the head included — docs/event-store.md), with a progress line (events behind
 * the slowest projection; rate and ETA).
 */
export async function waitForCatchUp(
  db: SqlQueryable,
  store: EventStore,
  head: number,
  names: readonly string[],
  timeoutMs: number,
): Promise<{ seconds: number; events: number; perProjection: Record<string, number> }> {
  const started = Date.now();
  const total = await store.countAfter(0, 50_000_000);
  const progress = new Progress('projections catch up', total, 'events');
  let done = 0;
  const perProjection: Record<string, number> = {};
  for (;;) {
    const { rows } = await db.query<{ name: string; position: number; state: string; last_error: string | null }>(
      `SELECT name, position, state, last_error FROM projection_checkpoints WHERE name = ANY($1::text[])`,
      [names],
    );
    for (const r of rows) if (r.position >= head && perProjection[r.name] === undefined) perProjection[r.name] = Math.round((Date.now() - started) / 1000);
    const slowest = rows.length < names.length ? 0 : Math.min(...rows.map((r) => r.position));
    if (slowest >= head) break;
    const stalled = rows.find((r) => r.state === 'stalled');
    if (stalled) throw new Error(`projection ${stalled.name} stalled: ${stalled.last_error}`);
    if (Date.now() - started > timeoutMs) throw new Error(`projections did not catch up within ${timeoutMs / 1000} s`);
    const behind = await store.countAfter(slowest, total);
    const nowDone = total - behind;
    if (nowDone > done) progress.tick(nowDone - done);
    done = Math.max(done, nowDone);
    await sleep(2000);
  }
  progress.tick(total - done);
  progress.finish();
  return { seconds: (Date.now() - started) / 1000, events: total, perProjection };
}
