import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** A bad configuration stops the process at once with a message naming the variable, not a stack. */
describe('start-up with a bad configuration', () => {
  it.each([
    [{ CHIRP_QUERY_PORT: 'not-a-port' }, /CHIRP_QUERY_PORT/],
    [{ NODE_ENV: 'production' }, /CHIRP_JWT_SECRET: is required when NODE_ENV=production/],
  ])('%o', (env, message) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'platform/src/bin/start-all.ts'], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
