import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { freePort } from '../../test-support/ports.ts';
import { runToExit, startEntryPoint, stopAllProcesses, withoutChirpSettings, type Env } from '../../test-support/processes.ts';

/**
 * `npm run start:relay` as a real process (minus npm) against a real PostgreSQL and brokers that
 * are not there. A relay that cannot reach Kafka must say so and exit, not hang or retry forever.
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('relay_start');
});

afterAll(async () => {
  await stopAllProcesses();
  await database?.drop();
});

function startRelay(env: Env) {
  return startEntryPoint('start-relay', [], { ...withoutChirpSettings(), NODE_ENV: 'test', ...env });
}

it('exits 1 within seconds with one line naming the brokers when none is reachable', async () => {
  const brokers = `127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}`;
  const started = Date.now();
  const exit = await runToExit(startRelay({ CHIRP_DATABASE_URL: database.url, CHIRP_KAFKA_BROKERS: brokers }), 30_000);
  const seconds = (exit.at - started) / 1000;
  console.log(`start:relay with closed broker ports exited ${exit.code} after ${seconds.toFixed(1)} s: ${exit.stderr.trim()}`);
  expect(exit.code).toBe(1);
  expect(exit.stderr.trim()).toMatch(new RegExp(`^relay: cannot start the relay: cannot reach the Kafka brokers ${brokers.replaceAll('.', '\\.').replace(',', ', ')}: [^\\n]+$`));
  // tsx start-up and opening the database included; the broker part itself takes about a second.
  expect(seconds).toBeLessThan(15);
});

it('names every missing or bad variable before opening anything', async () => {
  const exit = await runToExit(startRelay({ CHIRP_KAFKA_TOPIC: 'no spaces allowed' }), 30_000);
  expect(exit.code).toBe(1);
  expect(exit.stderr).toContain('relay: invalid configuration:');
  expect(exit.stderr).toContain('CHIRP_DATABASE_URL: is required by npm run start:relay');
  expect(exit.stderr).toContain('CHIRP_KAFKA_BROKERS: is required by npm run start:relay');
  expect(exit.stderr).toContain('CHIRP_KAFKA_TOPIC: must be 1–249 characters');
});
