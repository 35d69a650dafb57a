import type { EventStore, SqlExecutor } from '@chirp/event-store';
import { connectPublisher, ensureTopic, type EventPublisher } from './kafka-client.ts';
import { KafkaRelay, type LogLine, type RelayOptions } from './relay.ts';
import type { RelayConfig } from './relay-config.ts';

export interface StartKafkaRelay {
  store: EventStore;
  /** The platform database's executor: the relay checkpoint lives beside the events. */
  executor: SqlExecutor;
  config: RelayConfig;
  log?: LogLine;
  /** Start-up budget for reaching a broker; default 5 s. */
  connectTimeoutMs?: number;
  /** Extra relay options (backoff, progress interval, test seam). */
  relay?: Partial<Omit<RelayOptions, 'name' | 'topic' | 'batchSize' | 'log'>>;
}

export interface RunningRelay {
  relay: KafkaRelay;
  /** Stops the relay (finishing the batch in flight), then disconnects the producer. */
  stop(): Promise<void>;
}

/**
 * Connects the producer first — so an unreachable broker fails start-up within seconds, naming the
 * brokers (KafkaUnreachableError), before anything else is touched — then creates the topic if it
 * does not exist (with CHIRP_KAFKA_PARTITIONS: relying on the broker's auto-creation would give it
 * the broker's default count, often 1, which caps every projector group at one instance), then
 * starts the relay.
 */
export async function startKafkaRelay(o: StartKafkaRelay): Promise<RunningRelay> {
  const log = o.log ?? ((line: Record<string, unknown>) => console.log(JSON.stringify(line)));
  const publisher: EventPublisher = await connectPublisher({
    brokers: o.config.brokers,
    clientId: o.config.clientId,
    log,
    ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
  });
  try {
    await ensureTopic({
      brokers: o.config.brokers,
      clientId: o.config.clientId,
      topic: o.config.topic,
      partitions: o.config.partitions,
      ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
    });
  } catch (error) {
    await publisher.disconnect().catch(() => {});
    throw error;
  }
  const relay = new KafkaRelay(o.store, o.executor, publisher, {
    ...o.relay,
    name: o.config.name,
    topic: o.config.topic,
    batchSize: o.config.batchSize,
    log,
  });
  try {
    await relay.start();
  } catch (error) {
    await publisher.disconnect().catch(() => {});
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    relay,
    stop() {
      stopping ??= (async () => {
        try {
          await relay.stop();
        } finally {
          await publisher.disconnect();
        }
      })();
      return stopping;
    },
  };
}
