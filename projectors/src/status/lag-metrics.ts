import type { EventStore } from '@chirp/event-store/port';
import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { chirpMeter } from '@chirp/telemetry';
import { readProjectionStatuses } from './reader.ts';

/**
 * Projection lag and throughput as observable gauges, read from the checkpoints (the cross-process
 * truth, as `/v1/projections` shows them) when metrics are collected — a scrape costs one status
 * read, an idle process costs nothing. Call the returned function to stop observing.
 */
export function observeProjections(db: SqlQueryable, store: EventStore): () => void {
  const meter = chirpMeter();
  const lagEvents = meter.createObservableGauge('chirp.projection.lag.events', { description: 'Events appended but not yet applied, by projection', unit: '{event}' });
  const lagSeconds = meter.createObservableGauge('chirp.projection.lag.seconds', { description: 'Age of the oldest event not yet applied, by projection', unit: 's' });
  const rate = meter.createObservableGauge('chirp.projection.events.rate', { description: 'Events applied per second (rolling ~10 s), by projection', unit: '{event}/s' });
  const position = meter.createObservableGauge('chirp.projection.position', { description: 'Checkpoint position, by projection' });
  const observe = async (observer: Parameters<Parameters<typeof meter.addBatchObservableCallback>[0]>[0]) => {
    for (const status of await readProjectionStatuses(db, store)) {
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
