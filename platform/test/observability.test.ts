import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from '../../test-support/http-client.ts';
import { startEntryPoint, stopAllProcesses, withoutChirpSettings, type ChirpProcess } from '../../test-support/processes.ts';

/** What an OTLP/HTTP receiver (an OpenTelemetry Collector) was sent, by path: /v1/traces, /v1/metrics. */
interface Received {
  path: string;
  body: any;
}

/**
 * `npm start` as an operator enables telemetry: the standard OTEL_* variables, an OTLP/HTTP
 * receiver (JSON encoding, so the test can read what arrives), a Prometheus endpoint on a port of
 * its own, and JSON log lines on stdout.
 */
describe('npm start with OpenTelemetry on', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chirp-otel-'));
  const received: Received[] = [];
  let receiver: Server;
  let chirp: ChirpProcess;
  let commandUrl: string;
  let metricsUrl: string;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: text ? JSON.parse(text) : null });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const otlp = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    chirp = startEntryPoint('start-all', [], {
      ...withoutChirpSettings(),
      CHIRP_DATA_DIR: dataDir,
      CHIRP_COMMAND_PORT: '0',
      CHIRP_QUERY_PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    });
    await chirp.waitFor(/telemetry\s+metrics http:\/\/\S+\/metrics/, 90_000);
    commandUrl = /command API\s+(http:\/\/\S+)/.exec(chirp.output())![1]!;
    metricsUrl = /telemetry\s+metrics (http:\/\/\S+\/metrics)/.exec(chirp.output())![1]!;
  }, 120_000);

  afterAll(async () => {
    await stopAllProcesses();
    receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exports the command and projector spans over OTLP, serves /metrics and /healthz, and logs JSON lines', async () => {
    const commands = client(commandUrl);
    expect((await commands.post('/v1/users', { body: { handle: 'otto', password: 'pass-word-1', displayName: 'Otto' } })).status).toBe(201);
    const login = await commands.post('/v1/sessions', { body: { handle: 'otto', password: 'pass-word-1' } });
    const posted = await commands.post('/v1/tweets', { token: login.body.accessToken, body: { text: 'exported' } });
    expect(posted.status).toBe(202);

    const spanNames = () =>
      received
        .filter((r) => r.path === '/v1/traces')
        .flatMap((r) => r.body.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans.map((s: any) => s.name))));
    await expect.poll(spanNames, { timeout: 20_000 }).toEqual(expect.arrayContaining(['POST /v1/tweets', 'eventstore.append', 'projection home-timeline batch']));
    const traces = received.find((r) => r.path === '/v1/traces')!;
    const serviceName = traces.body.resourceSpans[0].resource.attributes.find((a: any) => a.key === 'service.name');
    expect(serviceName.value.stringValue).toBe('chirp-all');
    await expect.poll(() => received.some((r) => r.path === '/v1/metrics'), { timeout: 20_000 }).toBe(true);

    const scrape = await fetch(metricsUrl);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(/^chirp_projection_lag_events\{[^}]*projection="home-timeline"[^}]*\} \d+/m);
    expect(text).toMatch(/^chirp_projection_events_applied_total\{[^}]*projection="tweets"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^chirp_commands_total\{[^}]*command="PostTweet"[^}]*\} 1$/m);
    expect((await fetch(metricsUrl.replace(/\/metrics$/, '/healthz'))).status).toBe(200);

    const logLines = chirp
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const request = logLines.find((l) => l.msg === 'request' && l.route === '/v1/tweets');
    expect(request).toMatchObject({ level: 'info', service: 'chirp-all', method: 'POST', status: 202 });
    expect(request.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(request.correlation_id).toEqual(expect.any(String));
    // The batch that applied the post names the request's correlation id, and is written inside its span.
    const batch = logLines.find((l) => l.msg === 'batch applied' && l.projection === 'home-timeline' && l.correlation_ids?.includes(request.correlation_id));
    expect(batch, 'a home-timeline batch line naming the request').toBeDefined();
    expect(batch.feed).toBe('store');
    expect(batch.trace_id, 'the batch line is written inside its span').toMatch(/^[0-9a-f]{32}$/);
  });

  it('stops cleanly (exit 0) when the collector is gone, saying the last telemetry was lost', async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    receiver.closeAllConnections();
    // Something to flush: a span that can no longer be delivered.
    await client(commandUrl).post('/v1/sessions', { body: { handle: 'otto', password: 'wrong-password' } });
    const stoppedAt = Date.now();
    chirp.signalService('SIGTERM');
    const exit = await chirp.exited;
    expect(exit.code, chirp.output()).toBe(0);
    expect(exit.at - stoppedAt).toBeLessThan(20_000);
    expect(chirp.output()).toMatch(/"msg":"telemetry could not flush on shutdown/);
  }, 40_000);
});
