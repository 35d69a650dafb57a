import type { SqlExecutor } from '@chirp/event-store/sql/executor';
import type { Projection } from '../projection.ts';
import { selectProjections, startAllOrNone } from '../projector-host.ts';
import { KafkaProjectionConsumer, type KafkaFeedOptions } from './kafka-projection-consumer.ts';

export interface StartKafkaProjectorsOptions extends KafkaFeedOptions {
  /** Run only these projections (by name); unknown names are an error. */
  only?: readonly string[];
}

/** What start-projectors holds with CHIRP_FEED=kafka: the counterpart of ProjectorHost. */
export interface KafkaProjectorHost {
  readonly consumers: readonly KafkaProjectionConsumer[];
  consumer(name: string): KafkaProjectionConsumer | undefined;
  /** Stops every consumer (each lets its batch in flight commit). */
  stop(): Promise<void>;
}

/**
 * One Kafka consumer (its own group) per projection, optionally a subset; if one fails to start
 * (unreachable brokers, an older version in the database), the started ones are stopped again.
 */
export async function startKafkaProjectors(
  executor: SqlExecutor,
  projections: readonly Projection[],
  options: StartKafkaProjectorsOptions,
): Promise<KafkaProjectorHost> {
  const { only, ...feed } = options;
  const consumers = selectProjections(projections, only).map((p) => new KafkaProjectionConsumer(executor, p, feed));
  await startAllOrNone(consumers);
  return {
    consumers,
    consumer: (name) => consumers.find((c) => c.name === name),
    async stop() {
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}
