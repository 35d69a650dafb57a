import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { client } from '../../test-support/http-client.ts';
import { freePort } from '../../test-support/ports.ts';
import { startEntryPoint, stopAllProcesses, stopProcess, withoutChirpSettings, type Env } from '../../test-support/processes.ts';
import { ConfigSchema, dashboardCommandUrl } from '../src/config.ts';
import { createSqlEventStore, openPgliteExecutor } from '@chirp/event-store';
import { registerUser } from '@chirp/command-api';
import { resolveOperatorAccess } from '../src/operator-account.ts';

const dirs: string[] = [];
afterAll(async () => {
  await stopAllProcesses();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A real `npm start` (its entry point) on embedded PGlite in `dataDir`, until its banner is out. */
async function startAll(dataDir: string, env: Env = {}) {
  const [commandPort, queryPort] = [await freePort(), await freePort()];
  const proc = startEntryPoint('start-all', [], {
    ...withoutChirpSettings(),
    NODE_ENV: undefined,
    CHIRP_DATA_DIR: dataDir,
    CHIRP_COMMAND_PORT: String(commandPort),
    CHIRP_QUERY_PORT: String(queryPort),
    ...env,
  });
  await proc.waitFor(/  dashboard {4}.*\n/);
  const dashboardLine = /  dashboard {4}(.*)\n/.exec(proc.output())![1]!;
  return { proc, dashboardLine, commandUrl: `http://127.0.0.1:${commandPort}`, queryUrl: `http://127.0.0.1:${queryPort}` };
}

describe('npm start: the default operator account', () => {
  it.concurrent('is registered at the first start with a password in the data directory, keeps it at the next, and gets the operator role', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chirp-operator-'));
    dirs.push(dataDir);
    const passwordFile = join(dataDir, 'operator-password');

    const first = await startAll(dataDir);
    expect(first.dashboardLine).toBe(`${first.queryUrl}/dashboard  (log in as operator, password in ${passwordFile})`);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, 'utf8');
    const login = async (commandUrl: string) => client(commandUrl).post('/v1/sessions', { body: { handle: 'operator', password } });
    const session = await login(first.commandUrl);
    expect(session.status).toBe(200);
    expect(session.body.roles).toEqual(['operator']);
    // The token opens the operator routes of the query API, and the page knows where the command API is.
    expect((await client(first.queryUrl).get('/v1/admin/event-rates?minutes=5', { token: session.body.accessToken })).status).toBe(200);
    expect((await client(first.queryUrl).get('/dashboard/config.json')).body).toMatchObject({ commandApiUrl: first.commandUrl });
    // The service itself, not the tsx in front of it (which may SIGKILL a service slow to answer).
    first.proc.signalService('SIGTERM');
    expect((await first.proc.exited).code).toBe(0);

    const second = await startAll(dataDir);
    expect(second.dashboardLine).toBe(`${second.queryUrl}/dashboard  (log in as operator, password in ${passwordFile})`);
    expect(readFileSync(passwordFile, 'utf8')).toBe(password);
    const again = await login(second.commandUrl);
    expect([again.status, again.body.userId, again.body.roles]).toEqual([200, session.body.userId, ['operator']]);
    await stopProcess(second.proc);
  }, 120_000);

  it.concurrent('with CHIRP_OPERATOR_HANDLES set, names those handles and registers nobody; a stranger who takes the handle operator then never gets the role', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chirp-operator-'));
    dirs.push(dataDir);
    const run = await startAll(dataDir, { CHIRP_OPERATOR_HANDLES: 'Alice,bob' });
    expect(run.dashboardLine).toBe(`${run.queryUrl}/dashboard  (log in as one of: alice, bob)`);
    const stranger = { handle: 'operator', password: 'someone-else' };
    expect((await client(run.commandUrl).post('/v1/users', { body: { ...stranger, displayName: 'Not ops' } })).status).toBe(201);
    run.proc.signalService('SIGTERM');
    expect((await run.proc.exited).code).toBe(0);

    // A plain npm start on the same data: the handle is not start-up's account, so no default operator.
    const plain = await startAll(dataDir);
    expect(plain.dashboardLine).toBe(`${plain.queryUrl}/dashboard  (no operators: the handle operator belongs to a user npm start did not register; set CHIRP_OPERATOR_HANDLES)`);
    const login = await client(plain.commandUrl).post('/v1/sessions', { body: stranger });
    expect([login.status, login.body.roles]).toEqual([200, []]);
    await stopProcess(plain.proc);
  }, 120_000);
});

describe('the default operator and the dashboard URL in the configuration', () => {
  const config = (env: Record<string, string>) => ConfigSchema.parse(env);

  it('the handle operator only without configured handles, outside production, on embedded PGlite, and only for the account start-up registered', async () => {
    const executor = await openPgliteExecutor('memory://');
    const store = await createSqlEventStore(executor);
    const dataDir = mkdtempSync(join(tmpdir(), 'chirp-operator-'));
    dirs.push(dataDir);
    try {
      const handlesOf = async (env: Record<string, string>) => [...(await resolveOperatorAccess(store, config({ CHIRP_DATA_DIR: dataDir, ...env }))).config.CHIRP_OPERATOR_HANDLES];
      // Configured, production, or on a PostgreSQL server: nothing is registered, nobody is added.
      expect(await handlesOf({ CHIRP_OPERATOR_HANDLES: 'ops' })).toEqual(['ops']);
      expect(await handlesOf({ NODE_ENV: 'production', CHIRP_JWT_SECRET: 'x'.repeat(32) })).toEqual([]);
      expect(await handlesOf({ CHIRP_DATABASE_URL: 'postgres://db/chirp' })).toEqual([]);
      expect(await store.readStream('handle-operator')).toEqual([]);
      // The try-out: registered once, recognised after.
      expect(await handlesOf({})).toEqual(['operator']);
      expect(await handlesOf({})).toEqual(['operator']);
      expect((await store.readStream('handle-operator')).map((e) => e.type)).toEqual(['HandleReserved']);

      // On another store, a stranger took the handle first: no role for them.
      const takenDir = mkdtempSync(join(tmpdir(), 'chirp-operator-'));
      dirs.push(takenDir);
      const fresh = await openPgliteExecutor('memory://');
      const strangers = await createSqlEventStore(fresh);
      await registerUser(
        { store: strangers, clock: () => new Date(), log: () => {} },
        { userId: '01890f3c-5d1e-7000-8000-000000000001', handle: 'operator', password: 'stranger-pass', displayName: 'X', metadata: { correlationId: 'c', causationId: 'request:1', actorUserId: null } },
      );
      const access = await resolveOperatorAccess(strangers, config({ CHIRP_DATA_DIR: takenDir }));
      expect([...access.config.CHIRP_OPERATOR_HANDLES]).toEqual([]);
      expect(access.login).toMatch(/belongs to a user npm start did not register/);
      await strangers.close();
      await fresh.close();
    } finally {
      await store.close();
      await executor.close();
    }
  });

  it('CHIRP_DASHBOARD_COMMAND_URL, else the command API by CHIRP_HOST and CHIRP_COMMAND_PORT, a wildcard shown as localhost', () => {
    expect(dashboardCommandUrl(config({}))).toBe('http://127.0.0.1:3001');
    expect(dashboardCommandUrl(config({ CHIRP_HOST: '0.0.0.0', CHIRP_COMMAND_PORT: '8081' }))).toBe('http://localhost:8081');
    expect(dashboardCommandUrl(config({ CHIRP_HOST: '::' }))).toBe('http://localhost:3001');
    expect(dashboardCommandUrl(config({ CHIRP_HOST: '::1' }))).toBe('http://[::1]:3001');
    expect(dashboardCommandUrl(config({ CHIRP_DASHBOARD_COMMAND_URL: 'https://api.chirp.example' }))).toBe('https://api.chirp.example');
    expect(ConfigSchema.safeParse({ CHIRP_DASHBOARD_COMMAND_URL: 'ftp://x' }).success).toBe(false);
    expect(ConfigSchema.safeParse({ CHIRP_DASHBOARD_COMMAND_URL: 'not a url' }).success).toBe(false);
  });
});
