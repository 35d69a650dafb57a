/**
 * What the benchmark compares, cheapest first: the two baselines (bare `node:http`, an express 5
 * hello-world), then Chirp's JSON app (createJsonApp: request span, duration metric, log line)
 * with telemetry off and logs silent, with JSON logs at info, and with the OpenTelemetry SDK on
 * (spans and metrics exported over OTLP/HTTP) plus the logs — every request traced, as
 * `docker compose up` runs it, and one in ten (OTEL_TRACES_SAMPLER=parentbased_traceidratio, 0.1).
 */
export const VARIANTS = ['node-http', 'express', 'chirp-quiet', 'chirp-logs', 'chirp-otel', 'chirp-otel-10pct'] as const;

/** Extra environment of a variant's process. */
export const VARIANT_ENV: Partial<Record<Variant, Record<string, string>>> = {
  'chirp-otel-10pct': { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
};
export type Variant = (typeof VARIANTS)[number];

/** A page the size of a 20-tweet timeline response (~6 KB), the same in every variant. */
export const PAGE = {
  items: Array.from({ length: 20 }, (_, i) => ({
    tweetId: `01890f3c-5d1e-7000-8000-${String(i).padStart(12, '0')}`,
    author: { userId: '01890f3c-5d1e-7000-8000-000000000abc', handle: 'bench_author', displayName: 'Bench Author' },
    text: `A tweet of about a hundred characters, #bench number ${i}, so that the page has a realistic size.`,
    createdAt: '2026-12-03T12:00:00.000Z',
    likeCount: i * 3,
    retweetCount: i,
    replyCount: 0,
  })),
  nextCursor: 'eyJwIjoxMjM0NTZ9',
};
