import { call } from './http-client.ts';
import { round, sleep, summarise, type Summary } from './stats.ts';

/**
 * 4. Delivery lag under a steady stream of posts: an open-loop sender posts at the target rate
 * (one post every 1000/rate ms, round-robin over ordinary authors), while observers — users who
 * follow all those authors — poll their home timeline through the query API. A post's lag is the
 * time from its 202 to the first poll response that contains it, per observer; the poll interval
 * bounds the resolution. Posts not seen within `settleMs` after the stream ends count as
 * undelivered.
 */

export interface DeliveryLagOptions {
  commandUrl: string;
  queryUrl: string;
  authorTokens: string[];
  observerTokens: string[];
  rate: number;
  seconds: number;
  pollMs: number;
  pageLimit: number;
  settleMs: number;
  /** Most posts in flight; beyond it a tick is skipped (and the achieved rate shows it). */
  maxInFlight: number;
  /**
   * Every projection's checkpoint position, polled alongside the observers: a post's lag is then
   * also measured per projection (202 → that projection's checkpoint passes the post), which says
   * which part of the read side a delivery waits for.
   */
  checkpoints?: () => Promise<Record<string, number>>;
}

export interface DeliveryLagResult {
  targetRate: number;
  achievedRate: number;
  posts: number;
  failedPosts: number;
  skippedTicks: number;
  lag: Summary;
  undelivered: number;
  postLatency: Summary;
  /** Per projection: 202 → its checkpoint at or past the post's position (posts it never reached: `unreached`). */
  projectionLag?: Record<string, Summary & { unreached: number }>;
}

export async function measureDeliveryLag(o: DeliveryLagOptions): Promise<DeliveryLagResult> {
  const accepted = new Map<string, number>(); // tweetId → performance.now() of its 202
  const acceptedPositions: { position: number; at: number }[] = [];
  const reachedAt = new Map<string, { position: number; at: number }[]>(); // projection → checkpoint samples
  const seen = o.observerTokens.map(() => new Map<string, number>()); // per observer: tweetId → first seen
  const postLatency: number[] = [];
  let failedPosts = 0;
  let skippedTicks = 0;
  let inFlight = 0;
  let sending = true;
  let polling = true;

  const observe = async (i: number) => {
    const token = o.observerTokens[i]!;
    await sleep((i * o.pollMs) / o.observerTokens.length);
    while (polling) {
      const started = performance.now();
      const reply = await call('GET', `${o.queryUrl}/v1/timeline?limit=${o.pageLimit}`, { authorization: `Bearer ${token}` });
      const at = performance.now();
      if (reply.status === 200) {
        for (const item of (JSON.parse(reply.body) as { items: { tweetId: string }[] }).items) if (!seen[i]!.has(item.tweetId)) seen[i]!.set(item.tweetId, at);
      }
      await sleep(Math.max(0, o.pollMs - (performance.now() - started)));
    }
  };
  const observers = o.observerTokens.map((_, i) => observe(i));
  const sampleCheckpoints = async () => {
    if (!o.checkpoints) return;
    while (polling) {
      const positions = await o.checkpoints();
      const at = performance.now();
      for (const [name, position] of Object.entries(positions)) {
        const samples = reachedAt.get(name) ?? [];
        if (samples.at(-1)?.position !== position) samples.push({ position, at });
        reachedAt.set(name, samples);
      }
      await sleep(o.pollMs / 2);
    }
  };
  const sampler = sampleCheckpoints();

  const interval = 1000 / o.rate;
  const start = performance.now();
  let sent = 0;
  let counter = 0;
  const pending: Promise<void>[] = [];
  while (sending) {
    const due = start + sent * interval;
    const now = performance.now();
    if (now - start >= o.seconds * 1000) break;
    if (due > now) {
      await sleep(Math.min(due - now, 5));
      continue;
    }
    sent++;
    if (inFlight >= o.maxInFlight) {
      skippedTicks++;
      continue;
    }
    const token = o.authorTokens[counter++ % o.authorTokens.length]!;
    inFlight++;
    const t0 = performance.now();
    pending.push(
      call('POST', `${o.commandUrl}/v1/tweets`, { authorization: `Bearer ${token}` }, JSON.stringify({ text: `lag probe ${counter} ${Date.now()}` }))
        .then((reply) => {
          const at = performance.now();
          if (reply.status !== 202) {
            failedPosts++;
            return;
          }
          postLatency.push(at - t0);
          const body = JSON.parse(reply.body) as { tweetId: string; position: number };
          accepted.set(body.tweetId, at);
          acceptedPositions.push({ position: body.position, at });
        })
        .catch(() => void failedPosts++)
        .finally(() => void inFlight--),
    );
  }
  sending = false;
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  // Let the stragglers arrive.
  const settleUntil = performance.now() + o.settleMs;
  while (performance.now() < settleUntil && !seen.every((s) => [...accepted.keys()].every((id) => s.has(id)))) await sleep(50);
  polling = false;
  await Promise.all([...observers, sampler]);

  const lags: number[] = [];
  let undelivered = 0;
  for (const [tweetId, at] of accepted) {
    for (const s of seen) {
      const when = s.get(tweetId);
      if (when === undefined) undelivered++;
      else lags.push(Math.max(0, when - at));
    }
  }
  const projectionLag: Record<string, Summary & { unreached: number }> = {};
  for (const [name, samples] of reachedAt) {
    const lags: number[] = [];
    let unreached = 0;
    for (const post of acceptedPositions) {
      const reached = samples.find((s) => s.position >= post.position);
      if (reached) lags.push(Math.max(0, reached.at - post.at));
      else unreached++;
    }
    projectionLag[name] = { ...summarise(lags), unreached };
  }
  return {
    ...(o.checkpoints ? { projectionLag } : {}),
    targetRate: o.rate,
    achievedRate: round(accepted.size / elapsed, 1),
    posts: accepted.size,
    failedPosts,
    skippedTicks,
    lag: summarise(lags),
    undelivered,
    postLatency: summarise(postLatency),
  };
}
