/**
 * Everything the query side may import: reader functions and their result types. Table layouts
 * stay private to each read model.
 */
export { InvalidCursorError } from './cursor.ts';
export * from './read-models/profiles/reader.ts';
export * from './read-models/tweets/reader.ts';
export * from './read-models/user-tweets/reader.ts';
export * from './read-models/home-timeline/reader.ts';
export {
  readProjectionStatuses,
  minCheckpoint,
  waitForCheckpoint,
  CheckpointTimeoutError,
  type ProjectionStatus,
} from './status/reader.ts';
