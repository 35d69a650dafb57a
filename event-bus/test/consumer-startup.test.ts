import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { consumePartitions, fetchPartitionCount, KafkaUnreachableError, type ConsumePartitionsOptions } from '../src/kafka-client.ts';
import { freePort } from '../../test-support/ports.ts';
import { timed } from '../../test-support/timed.ts';

/**
 * The consumer side's start-up against brokers that are not there: real sockets (a closed port,
 * a listener that never answers), no broker stand-in. It must fail within seconds, naming the
 * brokers, and never call back into the caller (no offsets read, nothing applied).
 */
const logs: Record<string, unknown>[] = [];

function options(brokers: string[], calls: string[], connectTimeoutMs?: number): ConsumePartitionsOptions {
  return {
    brokers,
    clientId: 'chirp-consumer-test',
    groupId: 'chirp-projector-test',
    topic: 'chirp.events',
    log: (line) => void logs.push(line),
    ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
    storedOffsets: async () => {
      calls.push('storedOffsets');
      return new Map();
    },
    eachBatch: async () => void calls.push('eachBatch'),
  };
}

describe('consumer start-up with no reachable broker', () => {
  it('consumePartitions fails within seconds on closed ports, naming every broker, calling nothing back', async () => {
    const brokers = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const calls: string[] = [];
    const { error, ms } = await timed(consumePartitions(options(brokers, calls)));
    expect(error).toBeInstanceOf(KafkaUnreachableError);
    expect((error as Error).message).toContain(`cannot reach the Kafka brokers ${brokers.join(', ')}: `);
    expect(ms).toBeLessThan(5000);
    expect(calls).toEqual([]);
    console.log(`closed ports: consumer failed after ${Math.round(ms)} ms: ${(error as Error).message}`);
  });

  it('fetchPartitionCount fails the same way', async () => {
    const brokers = [`127.0.0.1:${await freePort()}`];
    const { error, ms } = await timed(fetchPartitionCount({ brokers, clientId: 'chirp-consumer-test', topic: 'chirp.events' }));
    expect(error).toBeInstanceOf(KafkaUnreachableError);
    expect(ms).toBeLessThan(5000);
  });

  it('consumePartitions fails within its connect budget when the broker accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const broker = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const calls: string[] = [];
    try {
      const { error, ms } = await timed(consumePartitions(options([broker], calls, 1500)));
      expect(error).toBeInstanceOf(KafkaUnreachableError);
      expect((error as Error).message).toMatch(new RegExp(`^cannot reach the Kafka brokers ${broker}: `));
      expect(ms).toBeLessThan(5000);
      expect(calls).toEqual([]);
      console.log(`silent listener: consumer failed after ${Math.round(ms)} ms: ${(error as Error).message}`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
