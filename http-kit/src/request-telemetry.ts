import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { instruments, silentLogger, tracer, type Logger } from '@chirp/telemetry';

const correlationIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
/** Longest path a span attribute or log line carries. */
const MAX_LOGGED_PATH = 256;

/** A request's own id, and the correlation id of the work it belongs to. */
export interface RequestIds {
  requestId: string;
  /** The caller's `X-Correlation-Id` when valid, else the request id. */
  correlationId: string;
}

const idsByRequest = new WeakMap<object, RequestIds>();

/**
 * The ids requestTelemetry gave the request (commands store them in their events' metadata);
 * made here for a request that did not pass through it.
 */
export function requestIdsOf(req: Request): RequestIds {
  let ids = idsByRequest.get(req);
  if (!ids) idsByRequest.set(req, (ids = newRequestIds(req)));
  return ids;
}

function newRequestIds(req: Request): RequestIds {
  // Random, not time-ordered (v7): nothing sorts by it, and Node's randomUUID draws from a cached
  // entropy pool, where uuid's v7 cost a randomFillSync per request (measured: bench:telemetry).
  const requestId = randomUUID();
  const given = req.get('x-correlation-id');
  return { requestId, correlationId: given && correlationIdPattern.test(given) ? given : requestId };
}

/**
 * Per request: a server span (continuing the caller's `traceparent`), the duration histogram,
 * and one log line when the response is done. The correlation id (requestIdsOf) is echoed in the
 * response, so a client can quote it.
 */
export function requestTelemetry(logger: Logger = silentLogger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const { correlationId } = requestIdsOf(req);
    res.setHeader('X-Correlation-Id', correlationId);
    const parent = propagation.extract(context.active(), req.headers);
    // The path is the client's (up to the server's ~16 KB header limit): cut for spans and logs.
    const path = req.path.length > MAX_LOGGED_PATH ? `${req.path.slice(0, MAX_LOGGED_PATH)}…` : req.path;
    const span = tracer.startSpan(
      `${req.method}`,
      // The correlation id on the span makes a request's trace findable by the id its client has.
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': path, 'chirp.correlation_id': correlationId } },
      parent,
    );
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      // The route pattern, not the path: `/v1/tweets/:id`, so metrics and span names stay few.
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const status = res.headersSent ? res.statusCode : 499; // 499: the client went away first
      const seconds = (performance.now() - started) / 1000;
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      instruments().httpRequestDuration.record(seconds, { 'http.request.method': req.method, 'http.route': route, 'http.response.status_code': status });
      if (!logger.isLevelEnabled('info')) return;
      const ctx = span.spanContext();
      const ids = isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
      logger.info({ method: req.method, route, path, status, duration_ms: Math.round(seconds * 10_000) / 10, correlation_id: correlationId, ...ids }, 'request');
    };
    res.once('finish', finish);
    res.once('close', finish);
    context.with(trace.setSpan(parent, span), () => next());
  };
}
