import type { IncomingMessage, ServerResponse } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

type Env = Record<string, string | undefined>;

/**
 * The standard variables Chirp's processes honour (docs/observability.md): the SDK reads them
 * itself, except OTEL_EXPORTER_PROMETHEUS_* (platform/src/observability.ts) and the switch below.
 */
export const OTEL_VARIABLES = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'OTEL_LOG_LEVEL',
] as const;

/**
 * Whether a process starts the SDK. Off unless asked for, so `npm start` and tests stay quiet
 * and fast: `OTEL_SDK_DISABLED=false`, or an OTLP endpoint, turns it on; `OTEL_SDK_DISABLED=true`
 * turns it off whatever else is set (the variable's meaning in the OpenTelemetry spec).
 */
export function telemetryEnabled(env: Env): boolean {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled === 'true') return false;
  if (disabled === 'false') return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
}

export interface TelemetryOptions {
  /** service.name unless OTEL_SERVICE_NAME says otherwise. */
  serviceName: string;
  env: Env;
  /** Replaces the exporters OTEL_TRACES_EXPORTER selects (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  /** Answers a Prometheus scrape with every metric of this process. */
  serveMetrics(req: IncomingMessage, res: ServerResponse): void;
  /** Flushes what is buffered (spans, a last metrics export) and stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for this process. Traces go where the standard variables say
 * (OTEL_TRACES_EXPORTER, default OTLP to OTEL_EXPORTER_OTLP_ENDPOINT); metrics are always
 * scrapeable in Prometheus format (`serveMetrics`) and also pushed over OTLP/HTTP when
 * OTEL_METRICS_EXPORTER names `otlp` or, unset, an OTLP endpoint is configured.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers: IMetricReader[] = [prometheus];
  if (pushesMetrics(options.env)) {
    const interval = Number(options.env.OTEL_METRIC_EXPORT_INTERVAL);
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        ...(Number.isFinite(interval) && interval > 0 ? { exportIntervalMillis: interval } : {}),
      }),
    );
  }
  const sdk = new NodeSDK({
    ...(options.env.OTEL_SERVICE_NAME ? {} : { serviceName: options.serviceName }),
    metricReaders: readers,
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
  });
  sdk.start();
  return {
    serveMetrics: (req, res) => prometheus.getMetricsRequestHandler(req, res),
    shutdown: () => sdk.shutdown(),
  };
}

function pushesMetrics(env: Env): boolean {
  const exporters = env.OTEL_METRICS_EXPORTER?.split(',').map((s) => s.trim());
  if (exporters && exporters.length > 0 && exporters[0] !== '') return exporters.includes('otlp');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
}
