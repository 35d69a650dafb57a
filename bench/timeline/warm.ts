import { Progress } from '@chirp/platform/progress';
import { callOk } from './http-client.ts';

/**
 * Makes users "active": one home-timeline read each through the query API, which (with the
 * cached reader) rebuilds and caches their timeline, so fan-out reaches them. Fan-out only ever
 * touches cached timelines, so without this a post would fan out to nobody.
 */
export async function warmTimelines(queryUrl: string, tokens: readonly string[], concurrency: number): Promise<number> {
  const progress = new Progress('warm timelines', tokens.length, 'reads');
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < tokens.length) {
      const token = tokens[next++]!;
      await callOk('GET', `${queryUrl}/v1/timeline?limit=20`, { authorization: `Bearer ${token}` });
      progress.tick();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  progress.finish();
  return (Date.now() - started) / 1000;
}

/**
 * The same, without the query API: the cached reader called directly (for when the projector
 * fans out to Redis but the query API is not yet wired to the cache).
 */
export async function warmDirect(read: (userId: string) => Promise<unknown>, userIds: readonly string[], concurrency: number): Promise<number> {
  const progress = new Progress('warm timelines (direct)', userIds.length, 'reads');
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < userIds.length) {
      await read(userIds[next++]!);
      progress.tick();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  progress.finish();
  return (Date.now() - started) / 1000;
}
