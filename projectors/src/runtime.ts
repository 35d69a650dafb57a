export * from './checkpoints.ts';
export * from './prepare-projection.ts';
export * from './projection-runner.ts';
export * from './projector-host.ts';
export { RateMeter } from './rate-meter.ts';
