import { allProjections, createProjections } from '@chirp/projectors/read-models/index';
import { replayProjection, type ReplayOptions, type ReplayResult } from '@chirp/projectors/replay/replay-projection';
import type { Config } from './config.ts';
import type { Database } from './database.ts';
import { openTimelineCache } from './timeline.ts';

/** The names of the projections the platform defines: what a replay can rebuild. */
export function replayableProjectionNames(): string[] {
  return allProjections.map((p) => p.name);
}

/**
 * Replays one of the platform's projections (projectors/src/replay/replay-projection.ts), for the
 * CLI and the command API alike, wired as the projectors wire it: the home timeline with its
 * cache, so that its replica builds the shadow without fanning out and its cache is emptied after
 * the switch (readers rebuild the lists on demand, as after a Redis flush).
 */
export async function replayPlatformProjection(db: Database, config: Config, name: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const timelines = name === 'home-timeline' ? await openTimelineCache(config, db) : null;
  try {
    const projection = createProjections({ homeTimeline: { cache: timelines?.cache ?? null, celebrityThreshold: config.CHIRP_CELEBRITY_THRESHOLD } }).find(
      (p) => p.name === name,
    );
    if (!projection) throw new RangeError(`unknown projection ${name}`);
    return await replayProjection(db.store, db.executor, projection, options);
  } finally {
    await timelines?.close();
  }
}
