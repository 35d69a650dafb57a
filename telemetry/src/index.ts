/**
 * What every Chirp package records through: the OpenTelemetry API (no-ops until the SDK is
 * started by a process, `@chirp/telemetry/sdk`) and pino logs. Libraries import this; only the
 * platform's entry points import the SDK.
 */
export * from './instruments.ts';
export * from './logger.ts';
export * from './spans.ts';
export * from './trace-context.ts';
export { SpanKind } from '@opentelemetry/api';
