import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorRequestHandler } from 'express';
import { createJsonApp, problemHandler, ProblemError } from '../src/index.ts';
import { client } from '../../test-support/http-client.ts';

const logged: unknown[] = [];
const seen: unknown[] = [];
let server: Server;
let url: string;
let api: ReturnType<typeof client>;

/** An error as http-errors (body-parser, raw-body) makes them. */
const httpError = (status: number, message: string, field: 'status' | 'statusCode' = 'status') =>
  Object.assign(new Error(message), { [field]: status, expose: status < 500 });

beforeAll(async () => {
  const app = createJsonApp({ bodyLimit: '1kb' });
  app.get('/overriding-extras', () => {
    throw new ProblemError(400, 'mine', { code: 'Mine', status: 200, type: 'https://evil.example', title: 'OK', detail: 'x', instance: '/y', hint: 'kept' });
  });
  app.get('/exposed/:field', (req) => {
    throw httpError(418, 'the teapot refuses', req.params.field === 'statusCode' ? 'statusCode' : 'status');
  });
  app.get('/unexposed', () => {
    throw Object.assign(new Error('SELECT * FROM secrets failed'), { status: 400, expose: false });
  });
  app.get('/exposed-5xx', () => {
    throw Object.assign(new Error('db host 10.0.0.7 down'), { status: 503, expose: true });
  });
  app.get('/challenge', () => {
    throw new ProblemError(401, 'who are you', {}, { 'WWW-Authenticate': 'Bearer realm="test"' });
  });
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  const observe: ErrorRequestHandler = (error, _req, _res, next) => {
    seen.push(error);
    next(error);
  };
  app.use(observe);
  app.use(problemHandler((message, error) => logged.push({ message, error })));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api = client(url);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  logged.length = 0;
  seen.length = 0;
});

describe('problemHandler', () => {
  it('never lets extras replace the standard members', async () => {
    const res = await api.get('/overriding-extras');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      type: 'https://chirp.dev/problems/mine',
      title: 'Bad Request',
      status: 400,
      detail: 'mine',
      instance: '/overriding-extras',
      code: 'Mine',
      hint: 'kept',
    });
  });

  it.each(['status', 'statusCode'])('answers an exposed 4xx error (%s) with its status and message, without logging it', async (field) => {
    const res = await api.get(`/exposed/${field}`);
    expect(res.status).toBe(418);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 418, detail: 'the teapot refuses' });
    expect(logged).toEqual([]);
  });

  it('answers anything else with a generic 500 and logs it', async () => {
    for (const path of ['/unexposed', '/exposed-5xx']) {
      const res = await api.get(path);
      expect(res.status).toBe(500);
      expect(JSON.stringify(res.body)).not.toMatch(/secrets|10\.0\.0\.7|at .*:\d+/);
    }
    expect(logged).toHaveLength(2);
  });

  it('sends the headers a problem carries', async () => {
    const res = await api.get('/challenge');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="test"');
  });

  it('answers a body that does not decompress with 400, unlogged', async () => {
    const res = await api.post('/echo', { rawBody: 'not gzip at all', headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(logged).toEqual([]);
  });

  it('does not log a request the client aborted mid-body as our failure', async () => {
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"half":');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    const deadline = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen[0]).toMatchObject({ type: 'request.aborted', status: 400, expose: true });
    expect(logged).toEqual([]);
  });
});
