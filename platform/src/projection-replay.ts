import { createProjections } from '@chirp/projectors/read-models/index';
import type { Projection } from '@chirp/projectors/projection';
import { replayProjection, type ReplayOptions, type ReplayResult } from '@chirp/projectors/replay/replay-projection';
import type { Config } from './config.ts';
import type { Database } from './database.ts';
import { openTimelineCache } from './timeline.ts';

/** The projections a replay can rebuild, as the platform defines them (the home timeline without its cache). */
export function replayableProjections(config: Config): readonly Projection[] {
  return createProjections({ homeTimeline: { cache: null, celebrityThreshold: config.CHIRP_CELEBRITY_THRESHOLD } });
}

/**
 * Replays one of the platform's projections (projectors/src/replay/replay-projection.ts), for the
 * CLI and the command API alike. The home timeline is rebuilt without its cache — the shadow must
 * not fan out into the live lists — and its cache is cleared after the switch: the new tables know
 * no cached user yet, so lists left behind would stop getting fan-out. Readers rebuild them on
 * demand, as after a Redis flush.
 */
export async function replayPlatformProjection(
  db: Database,
  config: Config,
  projection: Projection,
  options: Omit<ReplayOptions, 'afterSwitch'> = {},
): Promise<ReplayResult> {
  const afterSwitch =
    projection.name === 'home-timeline'
      ? async () => {
          const timelines = await openTimelineCache(config, db);
          try {
            await timelines.cache.clear();
          } finally {
            await timelines.close();
          }
        }
      : undefined;
  return replayProjection(db.store, db.executor, projection, { ...options, ...(afterSwitch ? { afterSwitch } : {}) });
}
