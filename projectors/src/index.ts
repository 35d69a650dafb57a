/**
 * The write side: the projection runtime and the read models' projections. The query side does
 * not import this; it deep-imports each model's reader (`@chirp/projectors/read-models/<model>/reader`),
 * `@chirp/projectors/status/reader` and `@chirp/projectors/cursor`.
 */
export * from './projection.ts';
export * from './runtime.ts';
export {
  allProjections,
  createHomeTimelineProjection,
  createProjections,
  homeTimelineProjection,
  profilesProjection,
  tweetsProjection,
  userTweetsProjection,
  type HomeTimelineProjectionOptions,
  type ProjectionDeps,
} from './read-models/index.ts';
export { transactionBoundExecutor } from './read-models/home-timeline/transaction-scope.ts';
