import kafkajs from 'kafkajs';
import type { Consumer, KafkaConfig, LogEntry, Producer, RetryOptions } from 'kafkajs';
import type { OutgoingKafkaMessage, ReceivedKafkaMessage } from './kafka-messages.ts';

/**
 * EVERY kafkajs call of Chirp is in this file. kafkajs 2.2.4 is unmaintained since 2023 (its
 * issue #1603 seeks maintainers); docs/event-bus.md describes the move to
 * @confluentinc/kafka-javascript's KafkaJS-compatible API, which touches this file only.
 *
 * kafkajs is CommonJS and spreads its error classes into module.exports, which Node's named-export
 * detection cannot see through: take the default export and destructure.
 */
const { Kafka, Partitioners, logLevel } = kafkajs;

/** What the relay needs of a producer: send a batch and resolve only once the broker acknowledged all of it. */
export interface EventPublisher {
  publish(topic: string, messages: readonly OutgoingKafkaMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaConnectionOptions {
  brokers: readonly string[];
  clientId: string;
  /** Whole start-up budget for reaching a broker; default 5 s. */
  connectTimeoutMs?: number;
  /** Where kafkajs's own warnings and errors go, as JSON-able lines; default console.warn of JSON. */
  log?: (line: Record<string, unknown>) => void;
}

/** No broker answered at start-up: names the brokers, so the operator knows which setting to check. */
export class KafkaUnreachableError extends Error {
  constructor(
    readonly brokers: readonly string[],
    detail: string,
  ) {
    super(`cannot reach the Kafka brokers ${brokers.join(', ')}: ${detail}`);
    this.name = 'KafkaUnreachableError';
  }
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Start-up retries: a few quick attempts (about 1 s in all against a closed port), then fail. The
 * kafkajs default (5 retries, growing delays) takes ~8 s and the idempotent producer's default
 * retries forever; a service that cannot reach its broker should say so at once.
 */
const CONNECT_RETRY: RetryOptions = { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 };

/**
 * Retries of one send. Bounded on purpose: the relay's own loop retries the whole batch with
 * backoff and logs every failure, and an unbounded send would hide an outage and block shutdown.
 * kafkajs warns that limiting the idempotent producer's retries "may invalidate EoS guarantees":
 * the relay promises at-least-once, not exactly-once, so a batch re-sent by the loop may duplicate.
 */
const SEND_RETRY: RetryOptions = { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 };
const LIMITED_RETRIES_WARNING = 'Limiting retries for the idempotent producer';

function kafkaConfig(o: KafkaConnectionOptions): KafkaConfig {
  const log = o.log ?? ((line) => console.warn(JSON.stringify(line)));
  return {
    clientId: o.clientId,
    brokers: [...o.brokers],
    connectionTimeout: 1000,
    retry: CONNECT_RETRY,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      // Stacks of connection errors say nothing the message does not, and break the one-line-per-entry log.
      const { message, timestamp: _t, stack: _s, ...extra } = entry.log;
      if (typeof message === 'string' && message.startsWith(LIMITED_RETRIES_WARNING)) return; // chosen, see SEND_RETRY
      log({ level: entry.label.toLowerCase(), msg: `kafkajs: ${String(message)}`, namespace: entry.namespace, ...extra });
    },
  };
}

/** Rejects after `ms` unless `work` settles first (kafkajs's own timeouts do not bound a whole connect). */
async function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Drops a client whose connect failed or hung; bounded too, since a hung connect may hang its disconnect. */
async function giveUp(client: { disconnect(): Promise<void> }): Promise<void> {
  await within(1000, client.disconnect(), 'disconnecting').catch(() => {});
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && cause.message !== error.message ? `${error.message} (${cause.message})` : error.message;
}

/**
 * An idempotent producer (acks from all in-sync replicas, one request in flight per broker, so a
 * retried request can neither duplicate nor reorder within a partition), connected — or a
 * KafkaUnreachableError within `connectTimeoutMs`.
 */
export async function connectPublisher(o: KafkaConnectionOptions): Promise<EventPublisher> {
  const kafka = new Kafka(kafkaConfig(o));
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: SEND_RETRY,
    // Java-compatible murmur2 on the key (kafkajs's v2 default, named so it does not warn): other
    // clients put the same stream on the same partition.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await within(o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, producer.connect(), 'connecting');
  } catch (error) {
    await giveUp(producer);
    throw new KafkaUnreachableError(o.brokers, describe(error));
  }
  return {
    async publish(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({
        topic,
        acks: -1, // all in-sync replicas; also what the idempotent producer requires
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
      });
    },
    disconnect: () => producer.disconnect(),
  };
}

/** Creates the topic if it does not exist (tests and first set-up; production topics are usually made by ops). */
export async function ensureTopic(o: KafkaConnectionOptions & { topic: string; partitions: number }): Promise<void> {
  const admin = new Kafka(kafkaConfig(o)).admin();
  try {
    await within(o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, admin.connect(), 'connecting');
  } catch (error) {
    await giveUp(admin);
    throw new KafkaUnreachableError(o.brokers, describe(error));
  }
  try {
    await admin.createTopics({ topics: [{ topic: o.topic, numPartitions: o.partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads a topic from its beginning with a throwaway consumer group until `count` messages arrived
 * or `timeoutMs` passed, and returns them in arrival order (per partition: offset order). For
 * tests and tools; the projectors' Kafka feed will need a committed group instead.
 */
export async function readTopic(
  o: KafkaConnectionOptions & { topic: string; count: number; timeoutMs: number },
): Promise<ReceivedKafkaMessage[]> {
  const consumer: Consumer = new Kafka(kafkaConfig(o)).consumer({ groupId: `chirp-read-${process.pid}-${Date.now()}` });
  const received: ReceivedKafkaMessage[] = [];
  try {
    await within(o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, consumer.connect(), 'connecting');
    await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
    let enough!: () => void;
    const done = new Promise<void>((resolve) => (enough = resolve));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        received.push({ topic, partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers ?? {} });
        if (received.length >= o.count) enough();
      },
    });
    await within(o.timeoutMs, done, `reading ${o.count} messages from ${o.topic}`).catch(() => {});
    return received;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}
