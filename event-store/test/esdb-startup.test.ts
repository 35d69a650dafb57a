import net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEsdbEventStore } from '../src/esdb/esdb-event-store.ts';

/**
 * Start-up fails fast: a closed port (the client sees ECONNREFUSED at once) and a listener that
 * accepts and never answers (the client's own deadlines do not fire; our timeout must). Both run
 * on every machine: no EventStoreDB needed.
 */

let silent: net.Server;
const accepted = new Set<net.Socket>();
let silentPort: number;
let closedPort: number;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  closedPort = await freePort();
  silent = net.createServer((socket) => {
    accepted.add(socket);
    socket.on('close', () => accepted.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const socket of accepted) socket.destroy(); // the client keeps a hung connection open
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

async function startUpFailure(url: string): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    const store = await createEsdbEventStore(url);
    await store.close();
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error(`createEsdbEventStore(${url}) resolved`);
}

test('a closed port: rejects at once, naming the URL without its password', async () => {
  const { error, ms } = await startUpFailure(`esdb://admin:s3cret@127.0.0.1:${closedPort}?tls=false`);
  expect(ms).toBeLessThan(6_000);
  expect(error.message).toContain(`EventStoreDB at esdb://127.0.0.1:${closedPort}?tls=false is unreachable`);
  expect(error.message).not.toContain('s3cret');
}, 10_000);

test('a listener that never answers: rejects after the start-up timeout, not after the client’s 40 s', async () => {
  const { error, ms } = await startUpFailure(`esdb://admin:s3cret@127.0.0.1:${silentPort}?tls=false`);
  expect(ms).toBeGreaterThanOrEqual(4_500);
  expect(ms).toBeLessThan(6_000);
  expect(error.message).toMatch(new RegExp(`EventStoreDB at esdb://127\\.0\\.0\\.1:${silentPort}\\?tls=false is unreachable: no answer within 5000 ms`));
  expect(error.message).not.toContain('s3cret');
}, 10_000);

test('the timeout is configurable', async () => {
  const started = Date.now();
  await expect(createEsdbEventStore(`esdb://127.0.0.1:${silentPort}?tls=false`, { connectTimeoutMs: 300 })).rejects.toThrow(/unreachable: no answer within 300 ms/);
  expect(Date.now() - started).toBeLessThan(2_000);
});
