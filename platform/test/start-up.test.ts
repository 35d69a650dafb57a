import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/ports.ts';
import { runToExit, startEntryPoint, stopAllProcesses, type Env } from '../../test-support/processes.ts';

/**
 * Start-up failures, as an operator meets them: the process exits 1, promptly, with a message
 * that says what is wrong (never a stack trace), and leaves nothing behind.
 */
const noStack = /\n\s+at /;
const secret = 'start-up-test-secret-start-up-test-secret';
const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'chirp-start-up-'));
  dirs.push(dir);
  return dir;
};
// The test runner's own CHIRP_* variables must not leak into the processes under test.
const clean: Env = { CHIRP_DATABASE_URL: undefined, CHIRP_JWT_SECRET: undefined, NODE_ENV: undefined };

afterAll(async () => {
  await stopAllProcesses();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** Exits 1 with the message; "promptly" leaves room for a loaded machine booting embedded PGlite, but not for a hang. */
async function expectFailure(entry: Parameters<typeof startEntryPoint>[0], env: Env, message: RegExp) {
  const started = Date.now();
  const run = await runToExit(startEntryPoint(entry, [], { ...clean, ...env }), 50_000);
  expect(run.code, run.output).toBe(1);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(noStack);
  expect(run.at - started).toBeLessThan(45_000);
  return run;
}

describe('start-up with a bad configuration', () => {
  it.concurrent.each([
    [{ CHIRP_QUERY_PORT: 'not-a-port' }, /CHIRP_QUERY_PORT/],
    [{ NODE_ENV: 'production' }, /CHIRP_JWT_SECRET: is required when NODE_ENV=production/],
  ])('npm start with %o', async (env, message) => {
    await expectFailure('start-all', { CHIRP_DATA_DIR: dataDir(), ...env }, message);
  });

  it.concurrent.each(['command-api', 'query-api'] as const)('start:%s without CHIRP_DATABASE_URL and CHIRP_JWT_SECRET', async (entry) => {
    const dir = dataDir();
    const run = await expectFailure(`start-${entry}`, { CHIRP_DATA_DIR: dir }, new RegExp(`CHIRP_DATABASE_URL: is required by npm run start:${entry}`));
    expect(run.stderr).toMatch(`CHIRP_JWT_SECRET: is required by npm run start:${entry}`);
    expect(readdirSync(dir)).toEqual([]); // opened nothing, generated nothing
  });

  it.concurrent('start:projectors without CHIRP_DATABASE_URL', async () => {
    const run = await expectFailure('start-projectors', { CHIRP_DATA_DIR: dataDir() }, /CHIRP_DATABASE_URL: is required by npm run start:projectors/);
    expect(run.stderr).not.toMatch(/CHIRP_JWT_SECRET/);
  });
});

describe('start-up failures that are not configuration', () => {
  it.concurrent('a port in use: one line naming it; the embedded database is closed and unlocked again', async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const dir = dataDir();
      const run = await expectFailure(
        'start-all',
        { CHIRP_DATA_DIR: dir, CHIRP_COMMAND_PORT: String(await freePort()), CHIRP_QUERY_PORT: String(port) },
        new RegExp(`^chirp: cannot start the query API: port ${port} on 127.0.0.1 is already in use\\n$`),
      );
      expect(run.output).not.toContain('Chirp is running');
      expect(existsSync(join(dir, 'chirp.lock'))).toBe(false);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it.concurrent('an unreachable CHIRP_DATABASE_URL: one line with the cause', async () => {
    await expectFailure(
      'start-command-api',
      { CHIRP_DATABASE_URL: 'postgres://127.0.0.1:1/x', CHIRP_JWT_SECRET: secret, CHIRP_COMMAND_PORT: String(await freePort()) },
      /^command-api: cannot open the database \(PostgreSQL 127\.0\.0\.1:1\/x\): connect ECONNREFUSED 127\.0\.0\.1:1\n$/,
    );
  });
});
