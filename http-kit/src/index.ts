export * from './problem.ts';
export * from './validation.ts';
export * from './tokens.ts';
export * from './json-app.ts';
export * from './cors.ts';
export * from './request-telemetry.ts';
