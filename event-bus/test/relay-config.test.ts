import { describe, expect, it } from 'vitest';
import { loadRelayConfig, RelayConfigError } from '../src/relay-config.ts';

function issuesOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadRelayConfig(env);
  } catch (error) {
    if (error instanceof RelayConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a RelayConfigError');
}

describe('loadRelayConfig', () => {
  it('needs only the brokers; the rest has documented defaults', () => {
    expect(loadRelayConfig({ CHIRP_KAFKA_BROKERS: 'kafka-1:9092' })).toEqual({
      brokers: ['kafka-1:9092'],
      topic: 'chirp.events',
      clientId: 'chirp-relay',
      batchSize: 500,
      partitions: 6,
      name: 'chirp.events',
    });
  });

  it('reads every variable, splits and trims the broker list, names the checkpoint after the topic', () => {
    expect(
      loadRelayConfig({
        CHIRP_KAFKA_BROKERS: ' a:9092, b.example.com:19092 ,[::1]:9093,',
        CHIRP_KAFKA_TOPIC: 'chirp.events-v2',
        CHIRP_KAFKA_CLIENT_ID: 'relay-eu',
        CHIRP_RELAY_BATCH_SIZE: '100',
        CHIRP_KAFKA_PARTITIONS: '12',
        OTHER: 'ignored',
      }),
    ).toEqual({ brokers: ['a:9092', 'b.example.com:19092', '[::1]:9093'], topic: 'chirp.events-v2', clientId: 'relay-eu', batchSize: 100, partitions: 12, name: 'chirp.events-v2' });
    expect(loadRelayConfig({ CHIRP_KAFKA_BROKERS: 'a:1', CHIRP_RELAY_NAME: 'eu' }).name).toBe('eu');
  });

  it('treats empty variables as unset', () => {
    expect(loadRelayConfig({ CHIRP_KAFKA_BROKERS: 'a:1', CHIRP_KAFKA_TOPIC: '', CHIRP_RELAY_BATCH_SIZE: '' })).toMatchObject({ topic: 'chirp.events', batchSize: 500 });
  });

  it('requires the brokers, saying what it wants', () => {
    expect(issuesOf({})).toEqual(['CHIRP_KAFKA_BROKERS: is required by npm run start:relay: comma-separated host:port of Kafka brokers']);
    expect(issuesOf({ CHIRP_KAFKA_BROKERS: ' , ' })).toEqual(['CHIRP_KAFKA_BROKERS: names no broker']);
  });

  it('names every bad value at once', () => {
    const issues = issuesOf({
      CHIRP_KAFKA_BROKERS: 'a:9092,localhost,b:99999',
      CHIRP_KAFKA_TOPIC: 'chirp events',
      CHIRP_RELAY_BATCH_SIZE: '100000',
    });
    expect(issues).toEqual([
      'CHIRP_KAFKA_BROKERS.1: "localhost" is not host:port',
      'CHIRP_KAFKA_BROKERS.2: "b:99999" is not host:port',
      'CHIRP_KAFKA_TOPIC: must be 1–249 characters of a-z A-Z 0-9 . _ -',
      expect.stringMatching(/^CHIRP_RELAY_BATCH_SIZE: .*5000/),
    ]);
    expect(issuesOf({ CHIRP_KAFKA_BROKERS: 'a:1', CHIRP_KAFKA_TOPIC: '..' })).toEqual(['CHIRP_KAFKA_TOPIC: cannot be "." or ".."']);
    expect(issuesOf({ CHIRP_KAFKA_BROKERS: 'a:1', CHIRP_RELAY_BATCH_SIZE: 'many' })).toEqual([expect.stringMatching(/^CHIRP_RELAY_BATCH_SIZE: /)]);
  });

  it('words the error like the platform configuration', () => {
    expect(() => loadRelayConfig({ CHIRP_KAFKA_BROKERS: 'x' })).toThrow(/^invalid configuration:\n {2}CHIRP_KAFKA_BROKERS\.0: "x" is not host:port$/);
  });
});
