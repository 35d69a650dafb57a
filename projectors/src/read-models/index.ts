import type { Projection } from '../projection.ts';
import { analyticsProjection } from './analytics/projection.ts';
import { eventRatesProjection } from './event-rates/projection.ts';
import { createHomeTimelineProjection, homeTimelineProjection, type HomeTimelineProjectionOptions } from './home-timeline/projection.ts';
import { profilesProjection } from './profiles/projection.ts';
import { searchProjection } from './search/projection.ts';
import { trendsProjection } from './trends/projection.ts';
import { tweetsProjection } from './tweets/projection.ts';
import { userTweetsProjection } from './user-tweets/projection.ts';

export { analyticsProjection, createHomeTimelineProjection, eventRatesProjection, homeTimelineProjection, profilesProjection, searchProjection, trendsProjection, tweetsProjection, userTweetsProjection };
export type { HomeTimelineProjectionOptions };

/** What the projections need from the platform: the home timeline's cache and threshold. */
export interface ProjectionDeps {
  homeTimeline: HomeTimelineProjectionOptions;
}

/** Every read model's projection, in no particular order (each has its own checkpoint). */
export function createProjections(deps: ProjectionDeps): readonly Projection[] {
  return [profilesProjection, tweetsProjection, userTweetsProjection, searchProjection, trendsProjection, analyticsProjection, eventRatesProjection, createHomeTimelineProjection(deps.homeTimeline)];
}

/**
 * Every projection with the home timeline in SQL only (no cache): for callers that serve the
 * timeline with `readHomeTimeline(db, …)`. Production wiring uses `createProjections`.
 */
export const allProjections: readonly Projection[] = [
  profilesProjection,
  tweetsProjection,
  userTweetsProjection,
  searchProjection,
  trendsProjection,
  analyticsProjection,
  eventRatesProjection,
  homeTimelineProjection,
];
