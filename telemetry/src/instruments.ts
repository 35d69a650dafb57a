import { metrics, type Counter, type Histogram, type Meter, type MeterProvider } from '@opentelemetry/api';

/**
 * Every metric Chirp records, named in one place (docs/observability.md lists them with their
 * Prometheus names). Projection lag is observed, not recorded: projectors/src/status/lag-metrics.ts.
 */
export interface ChirpInstruments {
  /** Commands decided, by `command` (PostTweet, Follow…) and `outcome` (accepted, unchanged, rejected, conflict, failed). */
  commands: Counter;
  /** Event-store appends, seconds, by `outcome` (ok, conflict, duplicate, failed). */
  appendDuration: Histogram;
  /** Events a projection applied (its rate is the projection's throughput), by `projection` and `feed` (store, kafka, replay). */
  eventsApplied: Counter;
  /** Projector batch transactions, seconds, by `projection`. */
  batchDuration: Histogram;
  /** Home-timeline lists a post or retweet was written into, by `mode` (push, or pull for a celebrity: 0). */
  fanOutSize: Histogram;
  /** Home-timeline reads, seconds, by `source` (cache, cache+sql, sql). */
  timelineReadDuration: Histogram;
  /** Lists a home-timeline read looked up in the cache, once each, by `list` (home, author) and `result` (hit, miss). */
  timelineCacheReads: Counter;
  /** Cached lists rebuilt from SQL on a read, by `list` (home, author). */
  timelineCacheRebuilds: Counter;
  /** HTTP requests served, seconds, by method, route and status (OpenTelemetry's HTTP conventions). */
  httpRequestDuration: Histogram;
  /** Events the relay published to Kafka (acknowledged by the broker), by `relay` (its checkpoint name). */
  relayPublished: Counter;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function create(meter: Meter): ChirpInstruments {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: LATENCY_BUCKETS } });
  return {
    commands: meter.createCounter('chirp.commands', { description: 'Commands decided, by command and outcome' }),
    appendDuration: seconds('chirp.eventstore.append.duration', 'Event-store append latency'),
    eventsApplied: meter.createCounter('chirp.projection.events.applied', { description: 'Events applied, by projection' }),
    batchDuration: seconds('chirp.projection.batch.duration', 'Projector batch transaction time'),
    fanOutSize: meter.createHistogram('chirp.timeline.fanout.size', {
      description: 'Home timelines a post or retweet was pushed into',
      unit: '{list}',
      advice: { explicitBucketBoundaries: [0, 1, 10, 100, 1000, 10_000, 100_000] },
    }),
    timelineReadDuration: seconds('chirp.timeline.read.duration', 'Home-timeline read latency'),
    timelineCacheReads: meter.createCounter('chirp.timeline.cache.reads', { description: 'Cached timeline lists found (hit) or missing (miss)' }),
    timelineCacheRebuilds: meter.createCounter('chirp.timeline.cache.rebuilds', { description: 'Timeline lists rebuilt from SQL on a read' }),
    httpRequestDuration: seconds('http.server.request.duration', 'HTTP request duration'),
    relayPublished: meter.createCounter('chirp.relay.events.published', { description: 'Events the relay published to Kafka, by relay' }),
  };
}

let cached: { provider: MeterProvider; instruments: ChirpInstruments } | undefined;

/**
 * The instruments of the meter provider registered now. The metrics API has no proxy provider:
 * instruments made before the SDK starts stay no-ops forever, so they are made (once) from
 * whichever provider is current when first used after it changed.
 */
export function instruments(): ChirpInstruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) cached = { provider, instruments: create(provider.getMeter('chirp')) };
  return cached.instruments;
}

/** The meter for observable instruments (callbacks run at collection time). */
export function chirpMeter(): Meter {
  return metrics.getMeterProvider().getMeter('chirp');
}
