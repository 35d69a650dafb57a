import type { Projection } from '@chirp/projectors/projection';
import type { TimelineCache } from '@chirp/timeline-cache';

/**
 * Which home timeline the benchmark can run, decided by what the code base has right now (the
 * hybrid timeline is being built while this harness is): looked up by name at run time, so the
 * harness type-checks and runs before and after it lands.
 *
 * - `hybridProjection`: `createProjections({ homeTimeline: { cache, celebrityThreshold } })`
 *   exists — the projector fans out to Redis (push) and keeps celebrities' recent lists (pull).
 * - `cachedReader`: `readHomeTimeline({ db, cache }, …)` exists — the merging reader.
 * - `platformRedisKey`: the platform config knows a Redis URL — `npm run start:*` wire the cache
 *   into the query API (and the projectors); only then do reads through the query API use Redis.
 */
export interface TimelineCapabilities {
  hybridProjection: boolean;
  cachedReader: boolean;
  platformRedisKey: string | null;
  /** Platform config keys for the threshold and cap, when it has them. */
  platformKeys: string[];
}

type ProjectionsModule = {
  allProjections?: readonly Projection[];
  createProjections?: (deps: { homeTimeline: { cache: TimelineCache | null; celebrityThreshold: number } }) => readonly Projection[];
};
type ReaderModule = { readHomeTimeline?: (...args: unknown[]) => Promise<unknown> };

export async function detectCapabilities(): Promise<TimelineCapabilities> {
  const projections = (await import('@chirp/projectors/read-models/index')) as ProjectionsModule;
  const reader = (await import('@chirp/projectors/read-models/home-timeline/reader')) as ReaderModule;
  const config = (await import('@chirp/platform/config')) as { ConfigSchema?: { shape?: Record<string, unknown> } };
  const keys = Object.keys(config.ConfigSchema?.shape ?? {});
  return {
    hybridProjection: typeof projections.createProjections === 'function',
    // The cached reader takes `{ db, cache }`; its source says so (there is no runtime marker).
    cachedReader: typeof reader.readHomeTimeline === 'function' && /'cache' in source|readCached/.test(String(reader.readHomeTimeline)),
    platformRedisKey: keys.find((k) => /REDIS/.test(k)) ?? null,
    platformKeys: keys.filter((k) => /CELEBRITY|TIMELINE|INACTIVE/.test(k)),
  };
}

/** The projections to run: the hybrid home timeline on `cache` when it exists and a cache is given, else the SQL-only set. */
export async function projectionsFor(cache: TimelineCache | null, celebrityThreshold: number): Promise<{ projections: readonly Projection[]; hybrid: boolean }> {
  const mod = (await import('@chirp/projectors/read-models/index')) as ProjectionsModule;
  if (cache && typeof mod.createProjections === 'function') {
    return { projections: mod.createProjections({ homeTimeline: { cache, celebrityThreshold } }), hybrid: true };
  }
  if (!mod.allProjections) throw new Error('@chirp/projectors/read-models/index exports neither createProjections nor allProjections');
  return { projections: mod.allProjections, hybrid: false };
}

/** `readHomeTimeline({ db, cache }, userId, …)` — for warming (rebuilding) cached timelines directly. */
export async function cachedReader(): Promise<((deps: { db: unknown; cache: TimelineCache }, userId: string, o: { limit: number }) => Promise<unknown>) | null> {
  const caps = await detectCapabilities();
  if (!caps.cachedReader) return null;
  const reader = (await import('@chirp/projectors/read-models/home-timeline/reader')) as ReaderModule;
  return reader.readHomeTimeline as never;
}
