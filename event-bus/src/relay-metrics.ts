import type { EventStore } from '@chirp/event-store';
import { chirpMeter } from '@chirp/telemetry';

/** Lag is counted up to this many events: enough to say "far behind" without scanning the log. */
const LAG_CAP = 1_000_000;

/**
 * The relay's lag as an observable gauge, `chirp.relay.lag.events`: events in the store after the
 * position the relay has published and checkpointed, counted when metrics are collected. Returns
 * a function that stops observing.
 */
export function observeRelayLag(store: EventStore, relay: { readonly name: string; readonly position: number }): () => void {
  const meter = chirpMeter();
  const lag = meter.createObservableGauge('chirp.relay.lag.events', { description: 'Events in the store not yet published by the relay', unit: '{event}' });
  const observe = async (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    result.observe(await store.countAfter(relay.position, LAG_CAP), { relay: relay.name });
  };
  lag.addCallback(observe);
  return () => lag.removeCallback(observe);
}
