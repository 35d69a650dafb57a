import { context, isSpanContextValid, trace, TraceFlags, type Link, type SpanContext } from '@opentelemetry/api';

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C `traceparent` of the span active now, or undefined when there is none (telemetry off,
 * or outside any span). A span the sampler dropped has one too, flagged unsampled (`-00`): its
 * trace goes on unsampled downstream, as the spec wants. Commands store it in their events'
 * metadata, so the projectors that apply an event can link their spans to the request that caused it.
 */
export function activeTraceparent(): string | undefined {
  const span = trace.getSpan(context.active());
  if (!span) return undefined;
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return undefined;
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The `traceparent` given, when it is a valid W3C trace context (version 00, non-zero ids); else undefined. */
export function validTraceparent(traceparent: string | undefined): string | undefined {
  return spanContextOf(traceparent) ? traceparent : undefined;
}

/** The span context a stored `traceparent` names (version 00 only), or undefined. */
export function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const match = traceparent ? traceparentPattern.exec(traceparent) : null;
  if (!match) return undefined;
  const ctx: SpanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(ctx) ? ctx : undefined;
}

/**
 * Links from a batch span to the requests behind its events: one per distinct trace context, at
 * most `max` (a replay batch of 10,000 events must not carry 10,000 links; the first ones are
 * kept, in position order).
 */
export function linksTo(traceparents: Iterable<string | undefined>, max = 64): Link[] {
  const seen = new Set<string>();
  const links: Link[] = [];
  for (const tp of traceparents) {
    if (links.length >= max) break;
    if (!tp || seen.has(tp)) continue;
    seen.add(tp);
    const ctx = spanContextOf(tp);
    if (ctx) links.push({ context: ctx });
  }
  return links;
}
