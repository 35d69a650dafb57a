import type { StoredEvent } from '@chirp/domain/envelope';
import { inSpan, instruments, linksTo, silentLogger, SpanKind, type Logger } from '@chirp/telemetry';

export interface BatchTelemetry {
  projection: string;
  /** Where the batch came from: the `feed` label of the applied-events metric. */
  feed: 'store' | 'replay' | 'kafka';
  /** The Kafka partition it came from: in the log line only, not a metric label. */
  partition?: number;
  logger?: Logger;
}

/** Correlation ids a batch line names, at most: enough for live traffic, bounded for a replay's 10,000. */
const MAX_LOGGED_CORRELATIONS = 20;

/**
 * The distinct correlation ids of the batch's events (the first MAX_LOGGED_CORRELATIONS, and how
 * many more there were): grep a request's X-Correlation-Id and find the batches that applied it.
 */
function correlationsOf(events: readonly StoredEvent[]): { correlation_ids: string[]; correlation_ids_more?: number } {
  const ids = new Set(events.map((e) => e.metadata.correlationId));
  const shown = [...ids].slice(0, MAX_LOGGED_CORRELATIONS);
  return ids.size > shown.length ? { correlation_ids: shown, correlation_ids_more: ids.size - shown.length } : { correlation_ids: shown };
}

/**
 * Runs one projector batch inside a consumer span linked to the requests that appended its events
 * (their stored `traceparent`s), so a trace from `POST /v1/tweets` leads to the batches that
 * projected it; counts the applied events and the batch time, and writes one log line per batch
 * (never one per event).
 */
export async function tracedBatch<T>(events: readonly StoredEvent[], telemetry: BatchTelemetry, work: () => Promise<T>): Promise<T> {
  const { projection, feed } = telemetry;
  const from = events[0]!.position;
  const to = events[events.length - 1]!.position;
  const started = performance.now();
  return inSpan(
    `projection ${projection} batch`,
    {
      kind: SpanKind.CONSUMER,
      links: linksTo(events.map((e) => e.metadata.traceparent)),
      attributes: { 'chirp.projection': projection, 'chirp.events': events.length, 'chirp.position.from': from, 'chirp.position.to': to },
    },
    async () => {
      const result = await work();
      const seconds = (performance.now() - started) / 1000;
      const metrics = instruments();
      metrics.eventsApplied.add(events.length, { projection, feed });
      metrics.batchDuration.record(seconds, { projection });
      // Inside the span, so the line carries its trace_id and span_id.
      const logger = telemetry.logger ?? silentLogger;
      if (logger.isLevelEnabled('info'))
        logger.info({ projection, feed: telemetry.partition === undefined ? feed : `kafka partition ${telemetry.partition}`, events: events.length, from, to, duration_ms: Math.round(seconds * 10_000) / 10, ...correlationsOf(events) }, 'batch applied');
      return result;
    },
  );
}
