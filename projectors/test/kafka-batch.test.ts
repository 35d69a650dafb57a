import type { StoredEvent } from '@chirp/domain/envelope';
import { MalformedKafkaMessageError, toKafkaMessage, toMarkerMessages, type OutgoingKafkaMessage, type ReceivedKafkaMessage } from '@chirp/event-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/checkpoints.ts';
import { toPartitionBatch } from '../src/feeds/kafka-batch.ts';
import { applyPartitionBatch, ensurePartitionOffsetTable, registerPartitions } from '../src/feeds/partition-offsets.ts';
import { prepareProjection } from '../src/prepare-projection.ts';
import { profilesProjection } from '../src/read-models/profiles/projection.ts';
import { applyEvents, History, openBackend, resetProjection, uuid, type Backend } from './support.ts';
import { prng } from './histories.ts';

/**
 * The consumer side without a broker: records encoded exactly as the relay sends them (events
 * keyed by stream, then a position marker to every partition after each batch), laid out in
 * partitions as Kafka would keep them, consumed partition by partition in random chunks through
 * toPartitionBatch + applyPartitionBatch on a real PostgreSQL. The broker itself (seeks, groups,
 * rebalances) is kafka-feed.test.ts's, which needs one.
 */
const TOPIC = 'chirp.events';

function received(m: OutgoingKafkaMessage, partition: number, offset: number): ReceivedKafkaMessage {
  return {
    topic: TOPIC,
    partition,
    offset: String(offset),
    key: Buffer.from(m.key),
    value: Buffer.from(m.value),
    headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, Buffer.from(v)])),
  };
}

/** The relay's output for `events` in batches of `batchSize`, as `partitions` logs (a stream always in one). */
function relayedLogs(events: readonly StoredEvent[], batchSize: number, partitions: number): ReceivedKafkaMessage[][] {
  const logs: ReceivedKafkaMessage[][] = Array.from({ length: partitions }, () => []);
  const partitionOf = (streamId: string) => [...streamId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % partitions;
  for (let i = 0; i < events.length; i += batchSize) {
    const batch = events.slice(i, i + batchSize);
    for (const e of batch) {
      const p = partitionOf(e.streamId);
      logs[p]!.push(received(toKafkaMessage(e), p, logs[p]!.length));
    }
    for (const m of toMarkerMessages(batch.at(-1)!.position, partitions)) logs[m.partition!]!.push(received(m, m.partition!, logs[m.partition!]!.length));
  }
  return logs;
}

describe('toPartitionBatch', () => {
  it('keeps the events in offset order and the highest marker', () => {
    const h = new History();
    const [a, b] = [uuid(), uuid()];
    const events = [h.register(a, 'a'), h.register(b, 'b'), h.follow(a, b)];
    const messages = [
      received(toKafkaMessage(events[0]!), 0, 10),
      received(toMarkerMessages(events[0]!.position, 1)[0]!, 0, 11),
      received(toKafkaMessage(events[1]!), 0, 12),
      received(toKafkaMessage(events[2]!), 0, 13),
      received(toMarkerMessages(events[2]!.position, 1)[0]!, 0, 14),
      received(toMarkerMessages(events[1]!.position, 1)[0]!, 0, 15), // a re-sent, older marker
    ];
    const batch = toPartitionBatch({ topic: TOPIC, partition: 0, messages, expectedOffset: 10, nextOffset: 16, highWatermark: 16 });
    expect(batch).toEqual({ topic: TOPIC, partition: 0, expectedOffset: 10, nextOffset: 16, events, markerPosition: events[2]!.position });
    expect(toPartitionBatch({ topic: TOPIC, partition: 0, messages: messages.slice(0, 1), expectedOffset: null, nextOffset: 11, highWatermark: 16 }).markerPosition).toBeNull();
  });

  it('refuses the whole batch on one malformed record, naming where it is', () => {
    const h = new History();
    const good = received(toKafkaMessage(h.register(uuid(), 'a')), 2, 40);
    const bad = { ...good, offset: '41', value: Buffer.from('{"not":"an event"}') };
    expect(() => toPartitionBatch({ topic: TOPIC, partition: 2, messages: [good, bad], expectedOffset: 40, nextOffset: 42, highWatermark: 42 })).toThrow(
      MalformedKafkaMessageError,
    );
    expect(() => toPartitionBatch({ topic: TOPIC, partition: 2, messages: [good, bad], expectedOffset: 40, nextOffset: 42, highWatermark: 42 })).toThrow(
      /topic chirp\.events, partition 2, offset 41/,
    );
  });
});

describe('relayed partitions applied on PostgreSQL', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend('postgres', 'kafka_batch');
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('position = every event up to it applied, at every step; the end state equals in-order application', async () => {
    const db = backend.executor;
    const projection = profilesProjection;
    const h = new History();
    const users = Array.from({ length: 8 }, () => uuid());
    users.forEach((u, i) => h.register(u, `user_${i}`));
    for (let r = 0; r < 6; r++) {
      for (const [i, u] of users.entries()) {
        if (r % 2 === 0) h.follow(u, users[(i + r + 1) % users.length]!);
        else h.updateProfile(u, { bio: `round ${r}` });
      }
    }
    const events = h.events;
    const PARTITIONS = 3;
    const logs = relayedLogs(events, 5, PARTITIONS);

    // The reference: the store feed's order, applied at once.
    await prepareProjection(db, projection);
    await applyEvents(db, projection, events, true);
    const dump = async () => {
      const out: Record<string, string[]> = {};
      for (const t of projection.readsTables ?? []) out[t] = (await db.query(`SELECT * FROM ${t}`)).rows.map((r) => JSON.stringify(r)).sort();
      return out;
    };
    const reference = await dump();
    await resetProjection(db, projection);
    await db.query(`DELETE FROM projection_checkpoints WHERE name = $1`, [projection.name]);
    await prepareProjection(db, projection);
    await ensurePartitionOffsetTable(db);
    await registerPartitions(db, projection.name, TOPIC, PARTITIONS);

    const random = prng(42);
    const consumed = Array.from({ length: PARTITIONS }, () => 0);
    const appliedPositions = new Set<number>();
    while (consumed.some((c, p) => c < logs[p]!.length)) {
      const p = Math.floor(random() * PARTITIONS);
      const log = logs[p]!;
      if (consumed[p] === log.length) continue;
      const size = 1 + Math.floor(random() * 4);
      const messages = log.slice(consumed[p], consumed[p]! + size);
      const nextOffset = Number(messages.at(-1)!.offset) + 1;
      const batch = toPartitionBatch({ topic: TOPIC, partition: p, messages, expectedOffset: consumed[p] === 0 ? null : consumed[p]!, nextOffset, highWatermark: log.length });
      await applyPartitionBatch(db, projection, batch);
      consumed[p] = nextOffset;
      for (const e of batch.events) appliedPositions.add(e.position);
      // Chirp-Min-Position: every event at or below the checkpoint position is applied.
      const position = (await readCheckpoint(db, projection.name))!.position;
      const missing = events.filter((e) => e.position <= position && !appliedPositions.has(e.position));
      expect(missing, `position ${position}`).toEqual([]);
    }
    expect((await readCheckpoint(db, projection.name))!.position).toBe(events.at(-1)!.position);
    expect((await readCheckpoint(db, projection.name))!.appliedTotal).toBe(events.length);
    expect(await dump()).toEqual(reference);
  });
});
