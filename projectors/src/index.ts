export * from './projection.ts';
export * from './runtime.ts';
export * from './readers.ts';
export { allProjections, homeTimelineProjection, profilesProjection, tweetsProjection, userTweetsProjection } from './read-models/index.ts';
