import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { createLogger, type Logger } from '@chirp/telemetry';
import { startTelemetry, telemetryEnabled } from '@chirp/telemetry/sdk';
import { ConfigError, type Config } from './config.ts';
import { listen } from './http-server.ts';
import type { Lifecycle } from './process-lifecycle.ts';

export interface Observability {
  logger: Logger;
  /** Where Prometheus scrapes this process (`…/metrics`, plus `…/healthz`); null with telemetry off. */
  metricsUrl: string | null;
}

// The OpenTelemetry spec's variables for a Prometheus endpoint; 9464 is its registered default port.
const PrometheusEndpoint = z.object({
  OTEL_EXPORTER_PROMETHEUS_HOST: z.string().min(1).optional(),
  OTEL_EXPORTER_PROMETHEUS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
});

/**
 * A process's logs, traces and metrics. Logs always (JSON lines, CHIRP_LOG_LEVEL). The OpenTelemetry
 * SDK only when the OTEL_* variables ask for it (`telemetryEnabled`): it is then started before
 * anything else of the process, and a small server answers `/metrics` (Prometheus format) and
 * `/healthz` on OTEL_EXPORTER_PROMETHEUS_HOST:PORT — a port of its own, so the public APIs do not
 * expose metrics and the projectors and the relay, which serve nothing else, have one too.
 */
export async function startObservability(life: Lifecycle, config: Config, service: string): Promise<Observability> {
  const logger = createLogger(`chirp-${service}`, config.CHIRP_LOG_LEVEL);
  if (!telemetryEnabled(process.env)) return { logger, metricsUrl: null };
  const endpoint = PrometheusEndpoint.safeParse(process.env);
  if (!endpoint.success) throw new ConfigError(`invalid configuration:\n${endpoint.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const telemetry = await life.step('cannot start OpenTelemetry', () => startTelemetry({ serviceName: `chirp-${service}`, env: process.env }));
  // The last flush may find the collector gone: telemetry must never fail (or hold up) a shutdown.
  life.onStop(async () => {
    const failure = await flushWithin(telemetry.shutdown(), SHUTDOWN_FLUSH_MS);
    if (failure) logger.warn({ error: failure }, 'telemetry could not flush on shutdown; the last spans and metrics are lost');
  });
  const host = endpoint.data.OTEL_EXPORTER_PROMETHEUS_HOST ?? config.CHIRP_HOST;
  const server = await life.step('cannot start the metrics endpoint', () =>
    listen((req, res) => serveOperations(req, res, telemetry.serveMetrics), host, endpoint.data.OTEL_EXPORTER_PROMETHEUS_PORT),
  );
  life.onStop(() => server.close());
  return { logger, metricsUrl: `${server.url}/metrics` };
}

/** How long shutdown waits for the SDK's last export. */
const SHUTDOWN_FLUSH_MS = 3000;

/** Why the flush failed (or that it took too long), or undefined when it went through. */
async function flushWithin(flush: Promise<void>, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms)));
  try {
    return await Promise.race([flush.then(() => undefined), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

function serveOperations(req: IncomingMessage, res: ServerResponse, serveMetrics: (req: IncomingMessage, res: ServerResponse) => void): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method === 'GET' && path === '/metrics') return serveMetrics(req, res);
  if (req.method === 'GET' && path === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  res.writeHead(404, { 'Content-Type': 'application/problem+json' }).end(JSON.stringify({ title: 'Not Found', status: 404, detail: 'this port serves /metrics and /healthz' }));
}
