import kafkajs from 'kafkajs';
import type { Admin, Consumer, KafkaConfig, LogEntry, Producer, RetryOptions } from 'kafkajs';
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
  /** Partitions of the topic now (topic metadata): the relay sends a position marker to each. */
  partitionCount(topic: string): Promise<number>;
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
  // Metadata for the markers' partition count; connected on first use, so start-up stays one connect.
  let admin: Admin | null = null;
  // Cached for a minute: one metadata round trip per relay batch would double the requests, and a
  // partition added to the topic gets its markers within that minute (its events have no order
  // guarantee across the change anyway, docs/event-bus.md "Topic").
  const counts = new Map<string, { count: number; at: number }>();
  return {
    async publish(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({
        topic,
        acks: -1, // all in-sync replicas; also what the idempotent producer requires
        messages: messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: { ...m.headers },
          ...(m.partition === undefined ? {} : { partition: m.partition }),
        })),
      });
    },
    async partitionCount(topic) {
      if (!admin) {
        const fresh = kafka.admin();
        await within(o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, fresh.connect(), 'connecting the admin client').catch(async (error: unknown) => {
          await giveUp(fresh);
          throw error;
        });
        admin = fresh;
      }
      const cached = counts.get(topic);
      if (cached && Date.now() - cached.at < 60_000) return cached.count;
      const count = await topicPartitionCount(admin, topic);
      counts.set(topic, { count, at: Date.now() });
      return count;
    },
    async disconnect() {
      await admin?.disconnect().catch(() => {});
      await producer.disconnect();
    },
  };
}

async function topicPartitionCount(admin: Admin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const count = topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  if (count < 1) throw new Error(`topic ${topic} has no partitions (does it exist?)`);
  return count;
}

/** Connects an admin client, or a KafkaUnreachableError within the budget. */
async function connectAdmin(o: KafkaConnectionOptions): Promise<Admin> {
  const admin = new Kafka(kafkaConfig(o)).admin();
  try {
    await within(o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, admin.connect(), 'connecting');
  } catch (error) {
    await giveUp(admin);
    throw new KafkaUnreachableError(o.brokers, describe(error));
  }
  return admin;
}

/** The topic's partition count from its metadata (fails fast, naming the brokers, when none answers). */
export async function fetchPartitionCount(o: KafkaConnectionOptions & { topic: string }): Promise<number> {
  const admin = await connectAdmin(o);
  try {
    return await topicPartitionCount(admin, o.topic);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Creates the topic if it does not exist (tests and first set-up; production topics are usually made by ops). */
export async function ensureTopic(o: KafkaConnectionOptions & { topic: string; partitions: number }): Promise<void> {
  const admin = await connectAdmin(o);
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
  o: KafkaConnectionOptions & {
    topic: string;
    count: number;
    timeoutMs: number;
    /** Which messages count towards `count` (default: all); all received are returned. */
    counts?: (message: ReceivedKafkaMessage) => boolean;
  },
): Promise<ReceivedKafkaMessage[]> {
  const consumer: Consumer = new Kafka(kafkaConfig(o)).consumer({ groupId: `chirp-read-${process.pid}-${Date.now()}` });
  const received: ReceivedKafkaMessage[] = [];
  let counted = 0;
  try {
    await within(o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, consumer.connect(), 'connecting');
    await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
    let enough!: () => void;
    const done = new Promise<void>((resolve) => (enough = resolve));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const m: ReceivedKafkaMessage = { topic, partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers ?? {} };
        received.push(m);
        if (!o.counts || o.counts(m)) counted += 1;
        if (counted >= o.count) enough();
      },
    });
    await within(o.timeoutMs, done, `reading ${o.count} messages from ${o.topic}`).catch(() => {});
    return received;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}

/** One partition's messages handed to `consumePartitions`'s `eachBatch`, already past the stored offset. */
export interface DeliveredPartitionBatch {
  topic: string;
  partition: number;
  /** In offset order; none below `expectedOffset`. */
  messages: ReceivedKafkaMessage[];
  /** The stored offset this batch continues from (null: none stored, read from the earliest). */
  expectedOffset: number | null;
  /** offset + 1 of the last message: what the stored offset becomes once the batch is applied. */
  nextOffset: number;
  /** The partition's high watermark when fetched: `highWatermark - nextOffset` is the lag left. */
  highWatermark: number;
}

export interface PartitionFailure {
  topic: string;
  partition: number;
  /** Stored offset the partition is sought back to (null: the earliest). */
  offset: number | null;
  consecutiveFailures: number;
  retryInMs: number;
}

export interface ConsumePartitionsOptions extends KafkaConnectionOptions {
  groupId: string;
  topic: string;
  /**
   * The stored next offsets of these partitions (null: none yet → the earliest). Read on every
   * assignment and after every failure: the stored offsets are the truth, Kafka's are never used.
   */
  storedOffsets(partitions: readonly number[]): Promise<Map<number, number | null>>;
  /** Applies one partition's batch and stores `nextOffset` with it; throwing rolls it back and retries. */
  eachBatch(batch: DeliveredPartitionBatch): Promise<void>;
  /** Every failed batch; awaited (it may record the failure), its own errors ignored. */
  onFailure?(error: Error, failure: PartitionFailure): void | Promise<void>;
  /** First retry delay of a partition after a failure, doubling per consecutive failure; default 200 ms. */
  initialBackoffMs?: number;
  /** Retry delay cap; default 30 s. */
  maxBackoffMs?: number;
}

export interface PartitionConsumer {
  /** Partitions assigned to this instance now. */
  readonly assigned: readonly number[];
  /** Lets the batch in flight finish, then leaves the group. */
  stop(): Promise<void>;
}

/** The topic holds no messages between the stored offset and what it delivered (retention deleted them). */
export class PartitionOffsetGapError extends Error {
  constructor(topic: string, partition: number, expected: number, first: number) {
    super(
      `partition ${partition} of ${topic} resumes at offset ${first} but the stored offset is ${expected}: ` +
        `offsets ${expected}..${first - 1} are no longer in the topic (retention?); rebuild the projection from the event store`,
    );
    this.name = 'PartitionOffsetGapError';
  }
}

/**
 * A consumer group member whose offsets live in the caller's database, not in Kafka
 * (`autoCommit: false`; kafkajs's docs: store `offset + 1` with the results and seek to it on
 * start). On every assignment it reads the stored offsets and seeks there (the earliest offset
 * when none is stored); batches are handed over per partition (`eachBatch`, resolved by hand).
 * A failed batch pauses ITS partition, seeks it back to the stored offset and resumes after a
 * backoff, so other partitions go on and no message is ever skipped. Messages below the stored
 * offset (re-delivered after a rebalance or before the seek took effect) are dropped: they are
 * applied already. Fails fast, naming the brokers, when none answers at start.
 */
export async function consumePartitions(o: ConsumePartitionsOptions): Promise<PartitionConsumer> {
  const initialBackoffMs = o.initialBackoffMs ?? 200;
  const maxBackoffMs = o.maxBackoffMs ?? 30_000;
  const log = o.log ?? ((line) => console.warn(JSON.stringify(line)));
  const kafka = new Kafka(kafkaConfig(o));
  // The admin client answers "where does the partition begin" for partitions with no stored offset.
  const admin = await connectAdmin(o);
  const consumer: Consumer = kafka.consumer({ groupId: o.groupId });
  try {
    await within(o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, consumer.connect(), 'connecting');
  } catch (error) {
    await giveUp(consumer);
    await giveUp(admin);
    throw new KafkaUnreachableError(o.brokers, describe(error));
  }

  let assigned: number[] = [];
  /** Stored offset per assigned partition, as this instance last read or wrote it. */
  const expected = new Map<number, number | null>();
  /** The assignment's stored offsets being read: batches wait for it (the fetch may start before the seek). */
  let loading: Promise<void> = Promise.resolve();
  const failures = new Map<number, number>();
  const resumeTimers = new Set<NodeJS.Timeout>();

  /** Reads the stored offsets of `partitions` and seeks each there (null → the partition's earliest offset). */
  async function seekToStored(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    const stored = await o.storedOffsets(partitions);
    const lows = [...stored.values()].some((v) => v === null) || partitions.some((p) => !stored.has(p))
      ? new Map((await admin.fetchTopicOffsets(o.topic)).map((e) => [e.partition, e.low]))
      : new Map<number, string>();
    for (const partition of partitions) {
      const offset = stored.get(partition) ?? null;
      expected.set(partition, offset);
      consumer.seek({ topic: o.topic, partition, offset: offset === null ? (lows.get(partition) ?? '0') : String(offset) });
    }
  }

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    assigned = [...(event.payload.memberAssignment[o.topic] ?? [])].sort((a, b) => a - b);
    expected.clear();
    failures.clear();
    const partitions = assigned;
    loading = seekToStored(partitions).catch((error: unknown) => {
      // Without the stored offsets nothing may be applied: batches re-read them one partition at a time.
      log({ level: 'warn', msg: 'cannot read the stored offsets on assignment', groupId: o.groupId, topic: o.topic, error: describe(error) });
    });
  });
  consumer.on(consumer.events.CRASH, (event) => {
    log({ level: 'error', msg: 'kafka consumer crashed', groupId: o.groupId, topic: o.topic, restart: event.payload.restart, error: describe(event.payload.error) });
  });

  async function failed(partition: number, error: Error): Promise<void> {
    const count = (failures.get(partition) ?? 0) + 1;
    failures.set(partition, count);
    const retryInMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (count - 1));
    // Paused, the partition is not fetched while it waits; the others go on, and heartbeats continue.
    consumer.pause([{ topic: o.topic, partitions: [partition] }]);
    let offset: number | null = expected.get(partition) ?? null;
    try {
      await seekToStored([partition]);
      offset = expected.get(partition) ?? null;
    } catch {
      expected.delete(partition); // unknown: the next batch reads it again before applying anything
    }
    try {
      await o.onFailure?.(error, { topic: o.topic, partition, offset, consecutiveFailures: count, retryInMs });
    } catch {
      // a failing callback must not stop the consumer
    }
    const timer = setTimeout(() => {
      resumeTimers.delete(timer);
      consumer.resume([{ topic: o.topic, partitions: [partition] }]);
    }, retryInMs);
    resumeTimers.add(timer);
  }

  try {
    await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
  } catch (error) {
    await giveUp(consumer);
    await giveUp(admin);
    throw error;
  }
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, isStale, isRunning, resolveOffset }) => {
      await loading;
      if (isStale() || !isRunning()) return;
      const partition = batch.partition;
      try {
        if (!expected.has(partition)) {
          // Stored offset unknown (its read failed): read it, seek, and let the seek refetch.
          await seekToStored([partition]);
          return;
        }
        const from = expected.get(partition) ?? null;
        const messages: ReceivedKafkaMessage[] = batch.messages
          .filter((m) => from === null || Number(m.offset) >= from)
          .map((m) => ({ topic: batch.topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers ?? {} }));
        if (messages.length === 0) {
          // Everything here is applied already: move kafkajs's in-memory position past it.
          resolveOffset(batch.lastOffset());
          return;
        }
        const first = Number(messages[0]!.offset);
        if (from !== null && first > from) throw new PartitionOffsetGapError(o.topic, partition, from, first);
        // batch.lastOffset() is the last message's offset, or past it when control records (not
        // handed over) end the batch: storing that keeps the next batch contiguous with this one.
        const nextOffset = Math.max(Number(messages[messages.length - 1]!.offset), Number(batch.lastOffset())) + 1;
        await o.eachBatch({ topic: batch.topic, partition, messages, expectedOffset: from, nextOffset, highWatermark: Number(batch.highWatermark) });
        expected.set(partition, nextOffset);
        failures.delete(partition);
        // kafkajs's in-memory fetch position only (autoCommit is off: nothing goes to Kafka).
        resolveOffset(String(nextOffset - 1));
      } catch (err) {
        await failed(partition, err instanceof Error ? err : new Error(String(err)));
      }
    },
  });

  return {
    get assigned() {
      return assigned;
    },
    async stop() {
      for (const timer of resumeTimers) clearTimeout(timer);
      resumeTimers.clear();
      await consumer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
    },
  };
}
