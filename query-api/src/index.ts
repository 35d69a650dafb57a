export { createQueryApi, type QueryApi, type QueryApiOptions } from './app.ts';
export { CheckpointWatcher } from './checkpoint-watcher.ts';
export { REDACTED_ERROR, redactStatus } from './projection-status.ts';
