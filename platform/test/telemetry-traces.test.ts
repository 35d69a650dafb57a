import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { observeProjections } from '@chirp/projectors/status/lag-metrics';
import { startTelemetry, type Telemetry } from '@chirp/telemetry/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../test-support/chirp-system.ts';
import { client } from '../../test-support/http-client.ts';

/**
 * The OpenTelemetry SDK in this process, spans kept in memory: one command's trace goes from its
 * HTTP request through the append to every projector batch that applied its event (a link), and
 * the Prometheus endpoint carries the projections' lag and throughput.
 */
describe('telemetry', () => {
  const spans = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let system: TestSystem;
  let metricsUrl: string;
  let closeMetrics: () => void;
  let stopObserving: () => void;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'chirp-test', env: {}, spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
    system = await startTestSystem('pglite');
    stopObserving = observeProjections(system.db.executor, system.db.store);
    const server = createServer((req, res) => telemetry.serveMetrics(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    closeMetrics = () => server.close();
  });

  afterAll(async () => {
    stopObserving?.();
    closeMetrics?.();
    await system?.stop();
    await telemetry?.shutdown();
  });

  const finished = (name: string) => spans.getFinishedSpans().filter((s) => s.name === name);
  const linksTo = (span: ReadableSpan, target: ReadableSpan) =>
    span.links.some((l) => l.context.traceId === target.spanContext().traceId && l.context.spanId === target.spanContext().spanId);

  it('links the command request, its append and each projector batch that applied the event', async () => {
    const commands = client(system.commandUrl);
    const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const registered = await commands.post('/v1/users', { body: { handle: 'tracy', password: 'pass-word-1', displayName: 'Tracy' } });
    expect(registered.status).toBe(201);
    const login = await commands.post('/v1/sessions', { body: { handle: 'tracy', password: 'pass-word-1' } });
    const posted = await commands.post('/v1/tweets', {
      token: login.body.accessToken,
      body: { text: 'traced #otel' },
      headers: { traceparent: `00-${clientTrace}-00f067aa0ba902b7-01`, 'x-correlation-id': 'trace-test-1' },
    });
    expect(posted.status).toBe(202);
    expect(posted.headers.get('x-correlation-id')).toBe('trace-test-1');
    // Read-your-writes: once the timeline covers the post, the home timeline's batch has committed.
    const timeline = await client(system.queryUrl).get('/v1/timeline', { token: login.body.accessToken, headers: { 'chirp-min-position': String(posted.body.position) } });
    expect(timeline.body.items.map((t: { tweetId: string }) => t.tweetId)).toContain(posted.body.tweetId);

    const [request] = finished('POST /v1/tweets');
    expect(request, 'a server span named by its route').toBeDefined();
    // The caller's trace context continues: the request span is in the client's trace.
    expect(request!.spanContext().traceId).toBe(clientTrace);
    expect(request!.attributes['http.response.status_code']).toBe(202);
    const append = finished('eventstore.append').find((s) => s.parentSpanContext?.spanId === request!.spanContext().spanId);
    expect(append, 'the append is a child of the request span').toBeDefined();
    expect(append!.spanContext().traceId).toBe(clientTrace);

    // The stored event carries the request span's context …
    const [event] = (await system.db.store.readAll(posted.body.position - 1, 1)).filter((e) => e.type === 'TweetPosted');
    expect(event?.metadata.traceparent).toBe(`00-${clientTrace}-${request!.spanContext().spanId}-01`);
    // … and the projectors' batches that applied it link back to that span.
    await expect.poll(() => spans.getFinishedSpans().filter((s) => s.name.startsWith('projection ') && linksTo(s, request!)).map((s) => s.name), { timeout: 10_000 }).toEqual(
      expect.arrayContaining(['projection home-timeline batch', 'projection tweets batch', 'projection user-tweets batch', 'projection search batch']),
    );
    const batch = spans.getFinishedSpans().find((s) => s.name === 'projection home-timeline batch' && linksTo(s, request!))!;
    expect(batch.attributes['chirp.projection']).toBe('home-timeline');
    expect(batch.attributes['chirp.position.to']).toBeGreaterThanOrEqual(posted.body.position);
  });

  it('serves lag, throughput, commands and fan-out in Prometheus format', async () => {
    const scrape = async () => (await fetch(metricsUrl)).text();
    const value = (text: string, name: string, ...labels: string[]) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    // Caught up, the home timeline's lag is 0 (the gauge reads the checkpoints at collection time).
    await expect.poll(async () => value(await scrape(), 'chirp_projection_lag_events', 'projection="home-timeline"'), { timeout: 15_000 }).toBe(0);
    const text = await scrape();
    const series = (name: string) => text.split('\n').filter((l) => l.startsWith(name));
    // The one timeline read so far: its home list was missing (a miss, one rebuild), counted once.
    expect(value(text, 'chirp_timeline_cache_reads_total', 'list="home"', 'result="miss"')).toBe(1);
    expect(value(text, 'chirp_timeline_cache_reads_total', 'list="home"', 'result="hit"')).toBeUndefined();
    expect(value(text, 'chirp_timeline_cache_rebuilds_total', 'list="home"')).toBe(1);
    expect(series('chirp_projection_lag_seconds{').length).toBeGreaterThan(0);
    expect(series('chirp_projection_events_rate{').length).toBeGreaterThan(0);
    // tweets handles the registration's events and the post: at least 3 events applied from the store.
    expect(value(text, 'chirp_projection_events_applied_total', 'projection="tweets"', 'feed="store"')).toBeGreaterThanOrEqual(3);
    expect(series('chirp_commands_total{').some((l) => l.includes('command="PostTweet"') && l.includes('outcome="accepted"'))).toBe(true);
    expect(series('chirp_timeline_fanout_size').length).toBeGreaterThan(0);
    expect(series('chirp_timeline_read_duration').length).toBeGreaterThan(0);
    expect(series('chirp_eventstore_append_duration').length).toBeGreaterThan(0);
    expect(series('http_server_request_duration').some((l) => l.includes('http_route="/v1/tweets"'))).toBe(true);
  });
});
