import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqlEventStore, openPgExecutor, type EventStore, type SqlExecutor } from '@chirp/event-store';
import { createTokenService } from '@chirp/http-kit';
import { listen, type RunningServer } from '@chirp/platform/http-server';
import { createCommandApi, createSqlIdempotencyStore } from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.ts';
import { client } from '../../test-support/http-client.ts';
import { faultyExecutor, type Fault } from './faulty-executor.ts';
import { expectProblem, uniqueHandle, type Api } from './support.ts';

let database: TestDatabase;
let executor: SqlExecutor;
let store: EventStore;
let server: RunningServer;
let api: Api;
const faults: Fault[] = [];
const logged: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase('registration_failures');
  executor = faultyExecutor(await openPgExecutor(database.url), faults);
  store = await createSqlEventStore(executor);
  const app = createCommandApi({
    store,
    tokens: createTokenService('registration-failures-secret-0123456789', 3600),
    idempotencyStore: await createSqlIdempotencyStore(executor),
    log: (message) => logged.push(message),
  });
  server = await listen(app, '127.0.0.1', 0);
  api = client(server.url);
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  await executor?.close();
  await database?.drop();
});
beforeEach(() => {
  faults.length = 0;
  logged.length = 0;
});

const registration = (handle: string) => ({ body: { handle, password: 'correct horse', displayName: handle } });
const handleEvents = async (handle: string) => (await store.readStream(`handle-${handle.toLowerCase()}`)).map((e) => e.type);

describe('registration whose user append fails', () => {
  it('keeps the handle when the user was registered after all (a lost COMMIT answer)', async () => {
    const handle = uniqueHandle('lc');
    faults.push({ stream: 'user-', at: 'commit' });
    expectProblem(await api.post('/v1/users', registration(handle)), 500);
    expect(await handleEvents(handle)).toEqual(['HandleReserved']);
    // The user exists and can log in; nobody else can take the handle.
    expect((await api.post('/v1/sessions', { body: { handle, password: 'correct horse' } })).status).toBe(200);
    expectProblem(await api.post('/v1/users', registration(handle)), 409);
  });

  it('releases the handle when the user provably was not registered', async () => {
    const handle = uniqueHandle('rb');
    faults.push({ stream: 'user-', at: 'inside' });
    expectProblem(await api.post('/v1/users', registration(handle)), 500);
    expect(await handleEvents(handle)).toEqual(['HandleReserved', 'HandleReleased']);
    expect((await api.post('/v1/users', registration(handle))).status).toBe(201);
  });

  it('keeps the handle, and logs, when whether the user exists cannot be read', async () => {
    const handle = uniqueHandle('ur');
    // The load before the append reads fine; the append fails; the re-read after it fails too.
    faults.push({ stream: 'user-', at: 'inside' }, { stream: 'user-', at: 'read', skip: 1, times: Infinity });
    expectProblem(await api.post('/v1/users', registration(handle)), 500);
    expect(await handleEvents(handle)).toEqual(['HandleReserved']);
    expect(logged.some((m) => m.includes('stays reserved'))).toBe(true);
  });

  it('answers with the original error when releasing the handle fails too', async () => {
    const handle = uniqueHandle('rf');
    // The user append keeps conflicting (a 409 once retries run out); then the release, the
    // second append to the handle's stream, fails as well.
    faults.push({ stream: 'user-', at: 'conflict', times: Infinity }, { stream: 'handle-', at: 'inside', skip: 1 });
    const res = await api.post('/v1/users', registration(handle));
    expectProblem(res, 409);
    expect(res.body.code).toBe('ConcurrencyConflict');
    expect(await handleEvents(handle)).toEqual(['HandleReserved']);
    expect(logged.some((m) => m.includes('releasing the handle failed'))).toBe(true);
  });
});
