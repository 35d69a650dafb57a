import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { freePort } from '../../test-support/ports.ts';
import { runToExit, startEntryPoint, stopAllProcesses, withoutChirpSettings, type Env } from '../../test-support/processes.ts';

/**
 * `npm run start:projectors` with CHIRP_FEED=kafka as a real process (minus npm) against a real
 * PostgreSQL and brokers that are not there: it must say so and exit, not hang or retry forever.
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('projectors_kafka_start');
});

afterAll(async () => {
  await stopAllProcesses();
  await database?.drop();
});

function startProjectors(env: Env, args: string[] = []) {
  return startEntryPoint('start-projectors', args, { ...withoutChirpSettings(), NODE_ENV: 'test', ...env });
}

it('exits 1 within seconds naming the brokers when none is reachable', async () => {
  const brokers = `127.0.0.1:${await freePort()}`;
  const started = Date.now();
  const exit = await runToExit(
    startProjectors({ CHIRP_DATABASE_URL: database.url, CHIRP_FEED: 'kafka', CHIRP_KAFKA_BROKERS: brokers }, ['--only', 'profiles']),
    30_000,
  );
  const seconds = (exit.at - started) / 1000;
  console.log(`start:projectors (kafka feed) with a closed broker port exited ${exit.code} after ${seconds.toFixed(1)} s: ${exit.stderr.trim()}`);
  expect(exit.code).toBe(1);
  expect(exit.stderr).toContain(`cannot start the projectors on Kafka (${brokers})`);
  expect(exit.stderr).toContain(`cannot reach the Kafka brokers ${brokers}: `);
  expect(seconds).toBeLessThan(15);
});

it('refuses CHIRP_FEED=kafka without brokers before opening anything', async () => {
  const exit = await runToExit(startProjectors({ CHIRP_DATABASE_URL: database.url, CHIRP_FEED: 'kafka' }), 30_000);
  expect(exit.code).toBe(1);
  expect(exit.stderr).toContain('CHIRP_KAFKA_BROKERS: is required with CHIRP_FEED=kafka');
});
