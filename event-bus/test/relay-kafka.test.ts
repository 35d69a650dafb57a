import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '@chirp/domain/envelope';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { ensureTopic, readTopic } from '../src/kafka-client.ts';
import { decodeKafkaRecord, fromKafkaMessage, HEADER, type ReceivedKafkaMessage } from '../src/kafka-messages.ts';
import { readRelayCheckpoint, RelayCheckpointConflictError } from '../src/relay-checkpoint.ts';
import type { RelayConfig } from '../src/relay-config.ts';
import { startKafkaRelay, type RunningRelay } from '../src/start-kafka-relay.ts';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { kafkaSource, type KafkaSource } from './kafka-source.ts';

/**
 * The relay against a real Kafka broker: CHIRP_TEST_KAFKA_BROKERS when set, otherwise a
 * testcontainers apache/kafka (same image as docker-compose.yml) where a container runtime
 * answers. Neither → the whole file is skipped and says why (never a stand-in broker).
 */
const source = await kafkaSource();
const skipReason = 'skip' in source ? source.skip : null;
if (skipReason) console.warn(`event-bus/test/relay-kafka.test.ts SKIPPED: ${skipReason}`);

const title = skipReason ? `relay against a real Kafka broker — SKIPPED: ${skipReason}` : 'relay against a real Kafka broker';

describe.skipIf(skipReason !== null)(title, () => {
  let kafka: KafkaSource;
  let database: TestDatabase;
  let executor: SqlExecutor;
  let store: EventStore;
  const running: RunningRelay[] = [];
  const logs: Record<string, unknown>[] = [];
  const log = (line: Record<string, unknown>) => void logs.push(line);
  const STREAMS = ['user-a', 'user-b', 'tweet-1', 'tweet-2', 'tweet-3'];

  beforeAll(async () => {
    if ('skip' in source) return;
    kafka = await source.start();
    database = await createTestDatabase('relay_kafka');
    executor = await openPgExecutor(database.url);
    store = await createSqlEventStore(executor);
  }, 180_000);

  afterAll(async () => {
    for (const r of running) await r.stop().catch(() => {});
    await store?.close();
    await executor?.close();
    await database?.drop();
    await kafka?.stop();
  });

  /** `count` events appended one by one, streams interleaved; every third one carries a traceparent. */
  async function appendEvents(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const streamId = STREAMS[(i * 7 + Math.floor(i / 3)) % STREAMS.length]!;
      const event: NewEvent = {
        eventId: randomUUID(),
        type: 'TestHappened',
        data: { i, text: `event ${i}` },
        schemaVersion: 1,
        occurredAt: new Date().toISOString(),
        metadata: {
          correlationId: `c-${i}`,
          causationId: `c-${i}`,
          actorUserId: null,
          ...(i % 3 === 0 ? { traceparent: `00-${randomUUID().replaceAll('-', '')}-${'0'.repeat(15)}1-01` } : {}),
        },
      };
      await store.append(streamId, [event], 'any');
    }
  }

  async function allEvents(): Promise<StoredEvent[]> {
    return store.readAll(0, 1_000_000);
  }

  async function newTopic(): Promise<RelayConfig> {
    const topic = `chirp.test.${randomUUID()}`;
    await ensureTopic({ brokers: kafka.brokers, clientId: 'chirp-relay-test', topic, partitions: 3 });
    return { brokers: kafka.brokers, topic, clientId: 'chirp-relay-test', batchSize: 7, partitions: 3, name: topic };
  }

  async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const isMarker = (m: ReceivedKafkaMessage) => m.headers?.[HEADER.marker] !== undefined;

  /** The topic's first `count` events (position markers left out). */
  async function read(config: RelayConfig, count: number): Promise<ReceivedKafkaMessage[]> {
    const all = await readTopic({ brokers: kafka.brokers, clientId: 'chirp-relay-test', topic: config.topic, count, timeoutMs: 20_000, counts: (m) => !isMarker(m) });
    return all.filter((m) => !isMarker(m));
  }

  /**
   * Every record until each partition has its marker for `last`: per partition, markers never go
   * down, and every event sits before the first marker ≥ its position and after every marker below it.
   */
  async function expectMarkers(config: RelayConfig, last: number): Promise<void> {
    const all = await readTopic({
      brokers: kafka.brokers,
      clientId: 'chirp-relay-test',
      topic: config.topic,
      count: config.partitions,
      timeoutMs: 20_000,
      counts: (m) => isMarker(m) && String(m.headers?.[HEADER.marker]) === String(last),
    });
    for (let partition = 0; partition < config.partitions; partition++) {
      let marker = 0;
      let sawLast = false;
      for (const m of all.filter((x) => x.partition === partition)) {
        const record = decodeKafkaRecord(m);
        if (record.kind === 'marker') {
          expect(record.position).toBeGreaterThanOrEqual(marker);
          marker = record.position;
          sawLast ||= record.position === last;
        } else {
          expect(record.event.position).toBeGreaterThan(marker);
        }
      }
      expect(sawLast, `partition ${partition} has the marker ${last}`).toBe(true);
    }
  }

  /** Every event at least once, and per key (partition order) each stream's events in revision order once duplicates are dropped. */
  function expectNoGapInOrder(messages: ReceivedKafkaMessage[], events: StoredEvent[]): StoredEvent[] {
    const decoded = messages.map(fromKafkaMessage);
    expect(new Set(decoded.map((e) => e.position))).toEqual(new Set(events.map((e) => e.position)));
    for (const stream of STREAMS) {
      const seen = new Set<number>();
      const firsts = decoded.filter((e) => e.streamId === stream && !seen.has(e.position) && seen.add(e.position)).map((e) => e.streamRevision);
      expect(firsts).toEqual(events.filter((e) => e.streamId === stream).map((e) => e.streamRevision));
      // Within one partition Kafka keeps the relay's send order: every stream's events sit in one partition.
      expect(new Set(messages.filter((m) => String(m.key) === stream).map((m) => m.partition)).size).toBeLessThanOrEqual(1);
    }
    return decoded;
  }

  it('publishes every event once, keyed by stream, in order, with headers; then tails new ones', async () => {
    await appendEvents(40);
    const config = await newTopic();
    const relay = await startKafkaRelay({ store, executor, config, log });
    running.push(relay);
    const events = await allEvents();
    await until('the relay to catch up', () => relay.relay.position === events.at(-1)!.position);
    const messages = await read(config, events.length);
    expect(messages).toHaveLength(events.length);
    const decoded = expectNoGapInOrder(messages, events);
    expect(decoded.sort((a, b) => a.position - b.position)).toEqual(events);
    for (const m of messages) {
      const e = fromKafkaMessage(m);
      const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]));
      expect(headers).toMatchObject({
        'chirp-event-id': e.eventId,
        'chirp-event-type': 'TestHappened',
        'chirp-position': String(e.position),
        'chirp-stream-revision': String(e.streamRevision),
      });
      expect(headers.traceparent).toBe(e.metadata.traceparent);
    }
    expect((await readRelayCheckpoint(executor, config.name))?.position).toBe(events.at(-1)!.position);
    await expectMarkers(config, events.at(-1)!.position);

    await appendEvents(5); // live tail
    const after = await allEvents();
    await until('the relay to publish new events', () => relay.relay.position === after.at(-1)!.position);
    expectNoGapInOrder(await read(config, after.length), after);
    await relay.stop();
  });

  it('killed between publish and checkpoint: the batch is published again on restart — duplicates, no gap', async () => {
    const config = await newTopic();
    const events = await allEvents();
    let batches = 0;
    let crash!: (batch: readonly StoredEvent[]) => void;
    const crashed = new Promise<readonly StoredEvent[]>((resolve) => (crash = resolve));
    const first = await startKafkaRelay({
      store,
      executor,
      config,
      log,
      relay: {
        initialBackoffMs: 600_000, // after the injected crash it must not retry by itself: it is "dead"
        afterPublish: (batch) => {
          if (++batches !== 3) return;
          crash(batch);
          throw new Error('injected crash between publish and checkpoint');
        },
      },
    });
    running.push(first);
    const lost = await crashed;
    await first.stop();
    const checkpoint = (await readRelayCheckpoint(executor, config.name))!.position;
    expect(checkpoint).toBe(events[2 * config.batchSize - 1]!.position); // two batches checkpointed, the third not

    const second = await startKafkaRelay({ store, executor, config, log });
    running.push(second);
    expect(second.relay.position).toBe(checkpoint);
    await until('the restarted relay to catch up', () => second.relay.position === events.at(-1)!.position);
    const messages = await read(config, events.length + lost.length);
    expect(messages).toHaveLength(events.length + lost.length);
    const decoded = expectNoGapInOrder(messages, events);
    const counts = new Map<number, number>();
    for (const e of decoded) counts.set(e.position, (counts.get(e.position) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([p]) => p);
    expect(twice.sort((a, b) => a - b)).toEqual(lost.map((e) => e.position));
    await second.stop();
  });

  it('two relays on one checkpoint: one of them stops with a checkpoint conflict', async () => {
    const config = await newTopic();
    const a = await startKafkaRelay({ store, executor, config, log });
    running.push(a);
    const head = (await allEvents()).at(-1)!.position;
    await until('the first relay to catch up', () => a.relay.position === head);
    const b = await startKafkaRelay({ store, executor, config, log });
    running.push(b);
    await appendEvents(3);
    await until('one relay to stop', () => a.relay.error !== null || b.relay.error !== null);
    const errors = [a.relay.error, b.relay.error].filter((e) => e !== null);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RelayCheckpointConflictError);
    await a.stop();
    await b.stop();
  });
});
