import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

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
  });

  it('parses operator handles case-insensitively', () => {
    expect([...loadConfig({ CHIRP_OPERATOR_HANDLES: 'Ops, root ,' }).CHIRP_OPERATOR_HANDLES]).toEqual(['ops', 'root']);
  });
});
