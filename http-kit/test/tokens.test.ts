import { describe, expect, it } from 'vitest';
import { createTokenService, ProblemError } from '../src/index.ts';

const secret = 'tokens-test-secret-0123456789-abcdef';
const alice = { userId: 'u-alice', handle: 'alice', roles: ['operator'] };

async function rejection(promise: Promise<unknown>): Promise<ProblemError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return error as ProblemError;
}

describe('token service', () => {
  it('verifies what it issued, again and again (the second time from memory), with its expiry', async () => {
    const tokens = createTokenService(secret, 3600);
    const token = await tokens.issue(alice);
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    expect(await tokens.verify(token)).toEqual({ ...alice, expiresAt: exp * 1000 });
    expect(await tokens.verify(token)).toEqual({ ...alice, expiresAt: exp * 1000 });
    expect(exp * 1000 - Date.now()).toBeGreaterThan(3590_000);
  });

  it('issue ignores an expiresAt on the principal: the token expires after the service’s TTL', async () => {
    const tokens = createTokenService(secret, 3600);
    const token = await tokens.issue({ ...alice, expiresAt: Date.now() - 1000 });
    expect((await tokens.verify(token)).expiresAt).toBeGreaterThan(Date.now() + 3590_000);
  });

  it('a remembered token still expires', async () => {
    // Two seconds: `exp` counts from `iat`, a whole second, so a 1 s token issued late in a second
    // may have expired by the first verify.
    const tokens = createTokenService(secret, 2);
    const token = await tokens.issue(alice);
    expect(await tokens.verify(token)).toMatchObject(alice);
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    const error = await rejection(tokens.verify(token));
    expect(error.status).toBe(401);
    expect(error.detail).toBe('the access token has expired');
  });

  it('remembering a token does not make a tampered copy of it valid', async () => {
    const tokens = createTokenService(secret, 3600);
    const token = await tokens.issue(alice);
    await tokens.verify(token);
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'u-mallory', handle: 'mallory', roles: ['operator'], iss: 'chirp', aud: 'chirp-api', exp: 9e9 })).toString('base64url');
    expect((await rejection(tokens.verify(`${header}.${forged}.${signature}`))).status).toBe(401);
    expect((await rejection(tokens.verify(`${token}x`))).status).toBe(401);
  });

  it('a token signed with another secret is refused, remembered tokens or not', async () => {
    const other = await createTokenService(`${secret}-other`, 3600).issue(alice);
    const tokens = createTokenService(secret, 3600);
    await tokens.verify(await tokens.issue(alice));
    expect((await rejection(tokens.verify(other))).status).toBe(401);
  });
});
