import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { activeTraceparent, createLogger } from '@chirp/telemetry';
import { startTelemetry, type Telemetry } from '@chirp/telemetry/sdk';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonApp } from '../src/json-app.ts';
import { ProblemError, problemHandler } from '../src/problem.ts';

describe('request telemetry', () => {
  const spans = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  let telemetry: Telemetry;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'http-kit-test', env: {}, spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
    const logger = createLogger('http-kit-test', 'info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const app = createJsonApp({ bodyLimit: '1kb', logger });
    app.post('/echo/:id', (req, res) => res.json({ traceparent: activeTraceparent() ?? null, body: req.body }));
    app.get('/fail', () => {
      throw new ProblemError(404, 'nothing here');
    });
    app.use(problemHandler());
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server?.close();
    await telemetry?.shutdown();
  });

  /** A POST whose body arrives well after its headers, as from a slow client. */
  function slowPost(path: string, body: string): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(body), 100);
    });
  }

  // The body parser waits on the socket's data events; the request's context must survive that.
  it('keeps the request span active in handlers behind the body parser, even for a late body', async () => {
    const res = await slowPost('/echo/7', '{"a":1}');
    expect(res.status).toBe(200);
    expect(res.json.body).toEqual({ a: 1 });
    const span = spans.getFinishedSpans().find((s) => s.name === 'POST /echo/:id');
    expect(span).toBeDefined();
    expect(res.json.traceparent).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`);
  });

  it('logs one JSON line per request with route, status, duration, correlation and trace ids', async () => {
    lines.length = 0;
    const res = await fetch(`http://127.0.0.1:${port}/fail`, { headers: { 'x-correlation-id': 'corr-1' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-correlation-id')).toBe('corr-1');
    const generated = (await fetch(`http://127.0.0.1:${port}/nowhere`, { headers: { 'x-correlation-id': 'bad id with spaces' } })).headers.get('x-correlation-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => lines.length).toBe(2);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'request', service: 'http-kit-test', method: 'GET', route: '/fail', status: 404, correlation_id: 'corr-1' });
    expect(lines[0]!.duration_ms).toEqual(expect.any(Number));
    expect(lines[0]!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[1]).toMatchObject({ route: 'unmatched', status: 404, correlation_id: generated });
  });
});
