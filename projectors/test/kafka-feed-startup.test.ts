import { KafkaUnreachableError } from '@chirp/event-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaProjectionConsumer } from '../src/feeds/kafka-projection-consumer.ts';
import { startKafkaProjectors } from '../src/feeds/kafka-projectors.ts';
import { tweetsProjection } from '../src/read-models/tweets/projection.ts';
import { profilesProjection } from '../src/read-models/profiles/projection.ts';
import { freePort } from '../../test-support/ports.ts';
import { timed } from '../../test-support/timed.ts';
import { openBackend, type Backend } from './support.ts';

/**
 * A Kafka-fed projection whose brokers do not answer (a real closed port, no broker stand-in):
 * start-up fails within seconds naming the brokers, before the database is touched.
 */
let backend: Backend;
beforeAll(async () => {
  backend = await openBackend('postgres', 'kafka_feed_startup');
});
afterAll(async () => {
  await backend?.close();
});

const exists = async (table: string) =>
  (await backend.executor.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [table])).rows[0]?.t !== null;

describe('Kafka-fed projection start-up with no reachable broker', () => {
  it('fails fast naming the brokers, and creates no checkpoint and no partition rows', async () => {
    const brokers = [`127.0.0.1:${await freePort()}`];
    const consumer = new KafkaProjectionConsumer(backend.executor, tweetsProjection, { brokers, topic: 'chirp.events', clientId: 'chirp-projectors-test', log: () => {} });
    const { error, ms } = await timed(consumer.start());
    expect(error).toBeInstanceOf(KafkaUnreachableError);
    expect((error as Error).message).toContain(`cannot reach the Kafka brokers ${brokers[0]}: `);
    expect(ms).toBeLessThan(5000);
    expect(consumer.state).toBe('idle');
    expect(consumer.groupId).toBe('chirp-projector-tweets');
    expect(await exists('projection_checkpoints')).toBe(false);
    expect(await exists('projection_partition_offsets')).toBe(false);
    await consumer.stop(); // harmless when not started
  });

  it('startKafkaProjectors checks --only names before connecting, then fails like one consumer', async () => {
    const brokers = [`127.0.0.1:${await freePort()}`];
    const feed = { brokers, topic: 'chirp.events', clientId: 'chirp-projectors-test', log: () => {} };
    await expect(startKafkaProjectors(backend.executor, [tweetsProjection, profilesProjection], { ...feed, only: ['nope'] })).rejects.toThrow(
      /unknown projection\(s\) nope; known: tweets, profiles/,
    );
    await expect(startKafkaProjectors(backend.executor, [tweetsProjection, profilesProjection], { ...feed, only: ['profiles'] })).rejects.toBeInstanceOf(
      KafkaUnreachableError,
    );
  });
});
