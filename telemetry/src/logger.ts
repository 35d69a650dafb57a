import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout, one object per line. Every line written inside a span carries
 * its `trace_id` and `span_id`, so a log line leads to its trace and back.
 */
export function createLogger(service: string, level: LevelWithSilent = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    mixin() {
      const span = trace.getSpan(context.active());
      const ctx = span?.spanContext();
      return ctx && isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** For libraries and tests that were given no logger: writes nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });
