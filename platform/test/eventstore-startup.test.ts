import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';

/**
 * With CHIRP_EVENTSTORE_URL pointing at nothing, opening the database fails within seconds with a
 * message naming the EventStoreDB URL (without its password), and closes the PostgreSQL pool it
 * had opened — the process does not hang at start-up.
 */
let database: TestDatabase;
let closedPort: number;

beforeAll(async () => {
  database = await createTestDatabase('eventstore_startup');
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  await database?.drop();
});

it('openDatabase fails fast, naming the EventStoreDB URL, when EventStoreDB is unreachable', async () => {
  const config = loadConfig({
    CHIRP_EVENTSTORE_URL: `esdb://admin:s3cret@127.0.0.1:${closedPort}?tls=false`,
    CHIRP_DATABASE_URL: database.url,
    CHIRP_JWT_SECRET: 'a-test-secret-of-at-least-32-characters!',
  });
  const started = Date.now();
  const error = await openDatabase(config).then(
    async (db) => {
      await db.close();
      throw new Error('openDatabase resolved');
    },
    (e: unknown) => e as Error,
  );
  expect(Date.now() - started).toBeLessThan(6_000);
  expect(error.message).toContain(`EventStoreDB at esdb://127.0.0.1:${closedPort}?tls=false is unreachable`);
  expect(error.message).not.toContain('s3cret');
  // The pool was closed: dropping the database would fail while a connection is still open.
}, 15_000);

it('the description names both stores, without the EventStoreDB password', async () => {
  const { describeDatabase } = await import('../src/database.ts');
  const config = loadConfig({
    CHIRP_EVENTSTORE_URL: 'esdb://admin:s3cret@es.internal:2113?tls=false',
    CHIRP_DATABASE_URL: 'postgres://chirp:pw@db.internal:5433/chirp',
    CHIRP_JWT_SECRET: 'a-test-secret-of-at-least-32-characters!',
  });
  expect(describeDatabase(config)).toBe('events on EventStoreDB esdb://es.internal:2113?tls=false, read models on PostgreSQL db.internal:5433/chirp');
});
