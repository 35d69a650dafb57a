import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { connectPublisher, KafkaUnreachableError } from '../src/kafka-client.ts';
import { readRelayCheckpoint } from '../src/relay-checkpoint.ts';
import { startKafkaRelay } from '../src/start-kafka-relay.ts';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { freePort } from '../../test-support/ports.ts';
import { timed } from '../../test-support/timed.ts';

/**
 * Start-up against brokers that are not there: real sockets (a closed port, a listener that never
 * answers), no broker stand-in. The relay must fail within seconds, naming the brokers.
 */
let database: TestDatabase;
let executor: SqlExecutor;
let store: EventStore;
const logs: Record<string, unknown>[] = [];
const log = (line: Record<string, unknown>) => void logs.push(line);

beforeAll(async () => {
  database = await createTestDatabase('relay_startup');
  executor = await openPgExecutor(database.url);
  store = await createSqlEventStore(executor);
});

afterAll(async () => {
  await store?.close();
  await executor?.close();
  await database?.drop();
});

describe('relay start-up with no reachable broker', () => {
  it('fails within seconds on closed ports, naming every broker, and touches no checkpoint', async () => {
    const brokers = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const { error, ms } = await timed(
      startKafkaRelay({ store, executor, log, config: { brokers, topic: 'chirp.events', clientId: 'chirp-relay-test', batchSize: 10, partitions: 1, name: 'startup' } }),
    );
    expect(error).toBeInstanceOf(KafkaUnreachableError);
    expect((error as Error).message).toContain(`cannot reach the Kafka brokers ${brokers.join(', ')}: `);
    expect(ms).toBeLessThan(5000);
    console.log(`closed ports: failed after ${Math.round(ms)} ms: ${(error as Error).message}`);
    expect(await readRelayCheckpoint(executor, 'startup')).toBeNull();
  });

  it('fails within its connect budget when the broker accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const broker = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const { error, ms } = await timed(connectPublisher({ brokers: [broker], clientId: 'chirp-relay-test', connectTimeoutMs: 1500, log }));
      expect(error).toBeInstanceOf(KafkaUnreachableError);
      expect((error as Error).message).toMatch(new RegExp(`^cannot reach the Kafka brokers ${broker}: `));
      expect(ms).toBeLessThan(5000);
      console.log(`silent listener: failed after ${Math.round(ms)} ms: ${(error as Error).message}`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
