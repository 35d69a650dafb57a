import type { Projection } from '../projection.ts';
import { homeTimelineProjection } from './home-timeline/projection.ts';
import { profilesProjection } from './profiles/projection.ts';
import { tweetsProjection } from './tweets/projection.ts';
import { userTweetsProjection } from './user-tweets/projection.ts';

export { homeTimelineProjection, profilesProjection, tweetsProjection, userTweetsProjection };

/** Every read model's projection, in no particular order (each has its own checkpoint). */
export const allProjections: readonly Projection[] = [
  profilesProjection,
  tweetsProjection,
  userTweetsProjection,
  homeTimelineProjection,
];
