import type { EventStore } from '@chirp/event-store/port';
import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { chirpMeter } from '@chirp/telemetry';
import { readProjectionStatuses, type ProjectionStatus } from './reader.ts';

/** A status read answers collections for this long: a Prometheus scrape and an OTLP export close together read once. */
const STATUS_MAX_AGE_MS = 5000;

/**
 * Projection lag and throughput as observable gauges, read from the checkpoints (the cross-process
 * truth, as `/v1/projections` shows them) when metrics are collected — at most one status read per
 * STATUS_MAX_AGE_MS however many readers collect (counting a far-behind projection's lag reads up
 * to a million index entries); an idle process costs nothing. Call the returned function to stop.
 */
export function observeProjections(db: SqlQueryable, store: EventStore): () => void {
  const meter = chirpMeter();
  const lagEvents = meter.createObservableGauge('chirp.projection.lag.events', { description: 'Events appended but not yet applied, by projection', unit: '{event}' });
  const lagSeconds = meter.createObservableGauge('chirp.projection.lag.seconds', { description: 'Age of the oldest event not yet applied, by projection', unit: 's' });
  const rate = meter.createObservableGauge('chirp.projection.events.rate', { description: 'Events applied per second (rolling ~10 s), by projection', unit: '{event}/s' });
  const position = meter.createObservableGauge('chirp.projection.position', { description: 'Checkpoint position, by projection' });
  let read: { at: number; statuses: Promise<ProjectionStatus[]> } | undefined;
  const statuses = () => {
    if (!read || Date.now() - read.at > STATUS_MAX_AGE_MS) {
      read = { at: Date.now(), statuses: readProjectionStatuses(db, store) };
      // A failed read is not kept: the next collection tries again.
      read.statuses.catch(() => (read = undefined));
    }
    return read.statuses;
  };
  const observe = async (observer: Parameters<Parameters<typeof meter.addBatchObservableCallback>[0]>[0]) => {
    for (const status of await statuses()) {
      const labels = { projection: status.name };
      observer.observe(lagEvents, status.lagEvents, labels);
      if (status.lagSeconds !== null) observer.observe(lagSeconds, status.lagSeconds, labels);
      observer.observe(rate, status.eventsPerSecond, labels);
      observer.observe(position, status.position, labels);
    }
  };
  const gauges = [lagEvents, lagSeconds, rate, position];
  meter.addBatchObservableCallback(observe, gauges);
  return () => meter.removeBatchObservableCallback(observe, gauges);
}
