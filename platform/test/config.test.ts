import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadKafkaFeedConfig, PROJECTORS_KAFKA_CLIENT_ID } from '../src/config.ts';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      CHIRP_COMMAND_PORT: 3001,
      CHIRP_QUERY_PORT: 3002,
      CHIRP_DATA_DIR: './data',
      CHIRP_CONSISTENCY_WAIT_MS: 2000,
      NODE_ENV: 'development',
    });
    expect(config.CHIRP_DATABASE_URL).toBeUndefined();
  });

  it('names every bad variable in one message', () => {
    expect(() => loadConfig({ CHIRP_COMMAND_PORT: 'abc', CHIRP_DATABASE_URL: 'mysql://x', CHIRP_CONSISTENCY_WAIT_MS: '-5' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ CHIRP_COMMAND_PORT: 'abc', CHIRP_DATABASE_URL: 'mysql://x' });
    } catch (error) {
      expect((error as Error).message).toMatch(/CHIRP_COMMAND_PORT/);
      expect((error as Error).message).toMatch(/CHIRP_DATABASE_URL: must be a postgres:\/\/ URL/);
    }
  });

  it('refuses production without a JWT secret, and a short secret anywhere', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CHIRP_JWT_SECRET: is required when NODE_ENV=production/);
    expect(() => loadConfig({ CHIRP_JWT_SECRET: 'short' })).toThrow(/CHIRP_JWT_SECRET: must be at least 32 characters/);
    expect(loadConfig({ NODE_ENV: 'production', CHIRP_JWT_SECRET: 'x'.repeat(32) }).CHIRP_JWT_SECRET).toHaveLength(32);
    // The projectors (and the relay, which loads their configuration) never handle a token.
    expect(loadConfig({ NODE_ENV: 'production', CHIRP_DATABASE_URL: 'postgres://db/chirp' }, 'projectors').CHIRP_JWT_SECRET).toBeUndefined();
    expect(() => loadConfig({ NODE_ENV: 'production', CHIRP_DATABASE_URL: 'postgres://db/chirp' }, 'query-api')).toThrow(/CHIRP_JWT_SECRET: is required when NODE_ENV=production/);
  });

  it('parses operator handles case-insensitively', () => {
    expect([...loadConfig({ CHIRP_OPERATOR_HANDLES: 'Ops, root ,' }).CHIRP_OPERATOR_HANDLES]).toEqual(['ops', 'root']);
  });

  it('rejects one port for both APIs, except 0 (any free port) for both', () => {
    expect(() => loadConfig({ CHIRP_COMMAND_PORT: '4000', CHIRP_QUERY_PORT: '4000' })).toThrow(/CHIRP_QUERY_PORT: must differ from CHIRP_COMMAND_PORT \(both are 4000\)/);
    expect(() => loadConfig({ CHIRP_COMMAND_PORT: '3002' })).toThrow(/must differ/);
    expect(loadConfig({ CHIRP_COMMAND_PORT: '0', CHIRP_QUERY_PORT: '0' }).CHIRP_QUERY_PORT).toBe(0);
  });

  it('has a shutdown grace period, 5 s unless configured', () => {
    expect(loadConfig({}).CHIRP_SHUTDOWN_GRACE_MS).toBe(5000);
    expect(loadConfig({ CHIRP_SHUTDOWN_GRACE_MS: '250' }).CHIRP_SHUTDOWN_GRACE_MS).toBe(250);
  });

  describe('entry points', () => {
    const url = 'postgres://chirp@db.internal/chirp';
    const secret = 's'.repeat(32);

    it('npm start on embedded PGlite needs neither a database URL nor a secret', () => {
      expect(loadConfig({}, 'all').CHIRP_DATABASE_URL).toBeUndefined();
    });

    it('npm start on PostgreSQL needs a secret', () => {
      expect(() => loadConfig({ CHIRP_DATABASE_URL: url }, 'all')).toThrow(/CHIRP_JWT_SECRET: is required with CHIRP_DATABASE_URL/);
      expect(loadConfig({ CHIRP_DATABASE_URL: url, CHIRP_JWT_SECRET: secret }, 'all').CHIRP_DATABASE_URL).toBe(url);
    });

    it.each(['command-api', 'query-api'] as const)('start:%s needs a database URL and a secret, and says so in one message', (entry) => {
      expect(() => loadConfig({}, entry)).toThrow(
        new RegExp(`CHIRP_DATABASE_URL: is required by npm run start:${entry}[^\\n]*\\n\\s+CHIRP_JWT_SECRET: is required by npm run start:${entry}`),
      );
      expect(() => loadConfig({ CHIRP_DATABASE_URL: url }, entry)).toThrow(/CHIRP_JWT_SECRET/);
      expect(() => loadConfig({ CHIRP_JWT_SECRET: secret }, entry)).toThrow(/CHIRP_DATABASE_URL: is required/);
      expect(loadConfig({ CHIRP_DATABASE_URL: url, CHIRP_JWT_SECRET: secret }, entry).CHIRP_DATABASE_URL).toBe(url);
    });

    it('start:projectors needs a database URL but no secret (it never sees a token)', () => {
      expect(() => loadConfig({}, 'projectors')).toThrow(/CHIRP_DATABASE_URL: is required by npm run start:projectors/);
      expect(() => loadConfig({}, 'projectors')).not.toThrow(/CHIRP_JWT_SECRET/);
      expect(loadConfig({ CHIRP_DATABASE_URL: url }, 'projectors').CHIRP_JWT_SECRET).toBeUndefined();
    });
  });
});

describe('CHIRP_EVENTSTORE_URL', () => {
  const pg = 'postgres://chirp@db.internal/chirp';
  const secret = 's'.repeat(32);

  it('is optional and unset by default', () => {
    expect(loadConfig({}).CHIRP_EVENTSTORE_URL).toBeUndefined();
  });

  it('accepts esdb:// and esdb+discover:// URLs', () => {
    for (const url of ['esdb://127.0.0.1:2113?tls=false', 'esdb+discover://admin:changeit@cluster.internal:2113']) {
      expect(loadConfig({ CHIRP_EVENTSTORE_URL: url, CHIRP_DATABASE_URL: pg, CHIRP_JWT_SECRET: secret }).CHIRP_EVENTSTORE_URL).toBe(url);
    }
  });

  it('refuses other schemes, naming the variable', () => {
    for (const url of ['http://127.0.0.1:2113', 'tcp://127.0.0.1:1113', 'esdb:/x', 'kurrentdb://127.0.0.1:2113']) {
      expect(() => loadConfig({ CHIRP_EVENTSTORE_URL: url, CHIRP_DATABASE_URL: pg, CHIRP_JWT_SECRET: secret })).toThrow(
        /CHIRP_EVENTSTORE_URL: must be an esdb:\/\/ or esdb\+discover:\/\/ URL/,
      );
    }
  });

  it.each(['all', 'command-api', 'query-api', 'projectors'] as const)('%s: needs CHIRP_DATABASE_URL for read models and checkpoints, and says why', (entry) => {
    const env = { CHIRP_EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false', CHIRP_JWT_SECRET: secret };
    expect(() => loadConfig(env, entry)).toThrow(
      /CHIRP_DATABASE_URL: is required with CHIRP_EVENTSTORE_URL: read models and projector checkpoints stay in PostgreSQL/,
    );
    // One message about the missing database, not two.
    try {
      loadConfig(env, entry);
    } catch (error) {
      expect((error as Error).message.match(/CHIRP_DATABASE_URL/g)).toHaveLength(1);
    }
    expect(loadConfig({ ...env, CHIRP_DATABASE_URL: pg }, entry).CHIRP_DATABASE_URL).toBe(pg);
  });
});

describe('CHIRP_FEED', () => {
  const projectors = { CHIRP_DATABASE_URL: 'postgres://chirp@db/chirp' };

  it('defaults to the event store', () => {
    expect(loadConfig({}).CHIRP_FEED).toBe('store');
  });

  it('refuses values other than store and kafka', () => {
    expect(() => loadConfig({ CHIRP_FEED: 'nats' })).toThrow(/CHIRP_FEED: /);
  });

  it('kafka needs CHIRP_KAFKA_BROKERS, and says why', () => {
    expect(() => loadConfig({ ...projectors, CHIRP_FEED: 'kafka' }, 'projectors')).toThrow(
      /CHIRP_KAFKA_BROKERS: is required with CHIRP_FEED=kafka: comma-separated host:port of Kafka brokers/,
    );
    expect(() => loadKafkaFeedConfig({})).toThrow(ConfigError);
  });

  it('kafka checks brokers and topic with the relay\'s rules, and ignores the relay-only variables', () => {
    expect(() => loadConfig({ ...projectors, CHIRP_FEED: 'kafka', CHIRP_KAFKA_BROKERS: 'kafka' }, 'projectors')).toThrow(
      /CHIRP_KAFKA_BROKERS\.0: "kafka" is not host:port/,
    );
    expect(() => loadConfig({ ...projectors, CHIRP_FEED: 'kafka', CHIRP_KAFKA_BROKERS: 'k:9092', CHIRP_KAFKA_TOPIC: 'a/b' }, 'projectors')).toThrow(
      /CHIRP_KAFKA_TOPIC: /,
    );
    const env = { ...projectors, CHIRP_FEED: 'kafka', CHIRP_KAFKA_BROKERS: 'k1:9092, k2:9093', CHIRP_RELAY_BATCH_SIZE: 'lots' };
    expect(loadConfig(env, 'projectors').CHIRP_FEED).toBe('kafka');
    expect(loadKafkaFeedConfig(env)).toEqual({ brokers: ['k1:9092', 'k2:9093'], topic: 'chirp.events', clientId: PROJECTORS_KAFKA_CLIENT_ID });
    expect(loadKafkaFeedConfig({ ...env, CHIRP_KAFKA_TOPIC: 't', CHIRP_KAFKA_CLIENT_ID: 'me' })).toMatchObject({ topic: 't', clientId: 'me' });
  });

  it('store ignores the Kafka variables', () => {
    expect(loadConfig({ CHIRP_KAFKA_BROKERS: 'not a broker list' }).CHIRP_FEED).toBe('store');
  });
});
