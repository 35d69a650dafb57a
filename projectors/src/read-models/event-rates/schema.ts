/**
 * Tables owned by the event-rates read model (docs/read-models.md): how many events of each type
 * were decided in each UTC minute (by `occurredAt`, so a replay gives the counts live processing
 * gave), and the positions already counted. Counting is the one thing that is not naturally
 * idempotent: the store's runner delivers every event once, but the Kafka relay may publish an
 * event again after a crash (docs/event-bus.md: "duplicates, never a gap"), so every count is
 * guarded by the event's position.
 */
export const EVENT_RATES_NAME = 'event-rates';
export const EVENT_RATES_VERSION = 1;

export const eventRatesTables = {
  rates: 'rm_event_rates',
  counted: 'rm_event_rates_counted',
} as const;
export const EVENT_RATES_TABLES = Object.values(eventRatesTables);

export const eventRatesDdl = [
  `CREATE TABLE IF NOT EXISTS ${eventRatesTables.rates} (
     minute timestamptz NOT NULL,
     type   text NOT NULL,
     events bigint NOT NULL,
     PRIMARY KEY (minute, type)
   )`,
  `CREATE TABLE IF NOT EXISTS ${eventRatesTables.counted} (position bigint PRIMARY KEY)`,
];
