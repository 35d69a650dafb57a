import { expect } from 'vitest';
import { startTestSystem, type TestSystem } from '../../test-support/chirp-system.ts';
import { client, type JsonResponse } from '../../test-support/http-client.ts';

/** The signing secret of the systems these tests start, so a test can mint its own tokens. */
export const TEST_JWT_SECRET = 'command-api-tests-secret-0123456789abcdef';

export const startSystem = (engine: 'postgres' | 'pglite' = 'postgres'): Promise<TestSystem> =>
  startTestSystem(engine, { CHIRP_JWT_SECRET: TEST_JWT_SECRET });

export type Api = ReturnType<typeof client>;

export interface TestUser {
  handle: string;
  userId: string;
  token: string;
}

let counter = 0;
export const uniqueHandle = (prefix = 'u') => `${prefix}${process.pid % 1000}_${Date.now() % 100000}_${counter++}`.slice(0, 20);

/** Registers and logs in a new user over HTTP. */
export async function register(api: Api, handle = uniqueHandle()): Promise<TestUser> {
  const created = await api.post('/v1/users', { body: { handle, password: 'correct horse', displayName: handle } });
  expect(created.status).toBe(201);
  const session = await api.post('/v1/sessions', { body: { handle, password: 'correct horse' } });
  expect(session.status).toBe(200);
  return { handle, userId: created.body.userId as string, token: session.body.accessToken as string };
}

/** An RFC 9457 problem with this status, and nothing internal (no stack frames) in it. */
export function expectProblem(res: JsonResponse, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+|node_modules|\bstack\b/);
}

/** The JSON pointers a 400 problem names. */
export const pointersOf = (res: JsonResponse) => [...new Set((res.body.errors as { pointer: string }[]).map((e) => e.pointer))].sort();

export async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
