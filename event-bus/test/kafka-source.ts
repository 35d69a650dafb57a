import { freePort } from '../../test-support/ports.ts';

/**
 * How a broker test reaches a real Kafka: CHIRP_TEST_KAFKA_BROKERS when set, otherwise a
 * testcontainers apache/kafka (the image of docker-compose.yml) where a container runtime answers.
 * Neither → `skip` says why (answers within milliseconds without Docker). Never a stand-in broker.
 */
const KAFKA_IMAGE = 'apache/kafka:3.9.0';

export interface KafkaSource {
  brokers: string[];
  stop(): Promise<void>;
}

export async function kafkaSource(): Promise<{ start: () => Promise<KafkaSource> } | { skip: string }> {
  const given = process.env.CHIRP_TEST_KAFKA_BROKERS;
  if (given) return { start: async () => ({ brokers: given.split(',').map((b) => b.trim()).filter(Boolean), stop: async () => {} }) };
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    return { skip: `no CHIRP_TEST_KAFKA_BROKERS and no container runtime (${error instanceof Error ? error.message : String(error)})` };
  }
  return { start: startKafkaContainer };
}

/** A single-node KRaft broker advertising a fixed host port (the client must reach what the broker advertises). */
async function startKafkaContainer(): Promise<KafkaSource> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const port = await freePort();
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: 9092, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  return { brokers: [`localhost:${port}`], stop: async () => void (await container.stop()) };
}
