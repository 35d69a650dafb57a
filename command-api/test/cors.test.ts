import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';
import { register, startSystem, uniqueHandle } from './support.ts';

/** CORS on both APIs over real HTTP, as a browser on another origin (the dashboard's) sees it. */
describe('CORS', () => {
  let system: TestSystem;
  const origin = 'http://dashboard.example:3002';

  beforeAll(async () => {
    system = await startSystem('pglite');
  });
  afterAll(async () => system?.stop());

  it.each(['commandUrl', 'queryUrl'] as const)('a preflight on the %s is a 204 allowing any origin, our methods and headers, for a day', async (api) => {
    const res = await fetch(`${system[api]}/v1/sessions`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')!.split(', ')).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']));
    expect(res.headers.get('access-control-allow-headers')!.split(', ')).toEqual(
      expect.arrayContaining(['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Correlation-Id', 'traceparent', 'Last-Event-ID', 'Chirp-Min-Position']),
    );
    expect(res.headers.get('access-control-max-age')).toBe('86400');
    expect(await res.text()).toBe('');
  });

  it('a real POST /v1/sessions from another origin gets its answer readable, with the headers a client reads exposed', async () => {
    const api = client(system.commandUrl);
    const user = await register(api, uniqueHandle('cors'));
    const res = await api.post('/v1/sessions', { body: { handle: user.handle, password: 'correct horse' }, headers: { origin } });
    expect(res.status).toBe(200);
    expect(res.body.accessToken).toEqual(expect.any(String));
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')!.split(', ')).toEqual(expect.arrayContaining(['Location', 'Retry-After', 'Chirp-Stale', 'WWW-Authenticate']));
    // Problems too: a browser script must be able to read why it was refused.
    const refused = await api.post('/v1/sessions', { body: { handle: user.handle, password: 'wrong horse!' }, headers: { origin } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    // Even the body parser's refusals, which come before any route.
    const malformed = await fetch(`${system.commandUrl}/v1/sessions`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{' });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('access-control-allow-origin')).toBe('*');
    const read = await client(system.queryUrl).get(`/v1/users/${user.handle}`, { headers: { origin } });
    expect(read.headers.get('access-control-allow-origin')).toBe('*');
  });
});
