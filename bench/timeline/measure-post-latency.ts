import type { SqlQueryable } from '@chirp/event-store';
import { callOk } from './http-client.ts';
import { sleep, summarise, type Summary } from './stats.ts';

/**
 * 1. Post latency: POST /v1/tweets round trips (the command API answers 202 once the event is
 * appended; fan-out happens later in the projector), for an ordinary author and a celebrity,
 * interleaved with the same round trip to a trivial express route (the baseline), one request at a
 * time. Then the fan-out time per post: from the 202 until the home-timeline projection's
 * checkpoint has passed the post's position (its batch, fan-out included, committed).
 */

export interface PostLatencyOptions {
  commandUrl: string;
  baselineUrl: string;
  ordinaryToken: string;
  celebrityToken: string;
  posts: number;
  fanoutPosts: number;
  /** Cached home timelines among the ordinary author's followers (each ordinary post is offered to these). */
  cachedFollowers: number;
  headPosition: () => Promise<number>;
  db: SqlQueryable;
  projection: string;
}

export interface PostLatencyResult {
  /** After the latency posts: seconds until the home-timeline projection had fanned all of them out. */
  drainSeconds: number;
  /** Ordinary posts × cached follower timelines, over the time from the first post to the drain: the projection's own fan-out rate. */
  projectorInsertsPerSecond: number;
  ordinary: Summary;
  celebrity: Summary;
  baseline: Summary;
  fanoutOrdinary: Summary;
  fanoutCelebrity: Summary;
}

let counter = 0;
const post = (url: string, token: string) =>
  callOk('POST', `${url}/v1/tweets`, { authorization: `Bearer ${token}` }, JSON.stringify({ text: `bench post ${++counter} at ${Date.now()}` }), [202]);

export async function measurePostLatency(o: PostLatencyOptions): Promise<PostLatencyResult> {
  const targets = [
    { name: 'baseline', run: () => post(o.baselineUrl, 'x') },
    { name: 'ordinary', run: () => post(o.commandUrl, o.ordinaryToken) },
    { name: 'celebrity', run: () => post(o.commandUrl, o.celebrityToken) },
  ] as const;
  for (let i = 0; i < 10; i++) for (const t of targets) await t.run();
  const samples: Record<string, number[]> = { baseline: [], ordinary: [], celebrity: [] };
  const phaseStart = performance.now();
  for (let i = 0; i < o.posts; i++) {
    // Rotate the order so no target always follows the same one.
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(i + k) % targets.length]!;
      samples[t.name]!.push((await t.run()).ms);
    }
    await sleep(5);
  }
  // Sequential posts by a 9k-follower author outrun the fan-out (~30 posts/s × 9k timelines):
  // let the projection drain the backlog before timing single posts, and report how long it took.
  const drainStart = performance.now();
  const drainedAt = await waitForCheckpoint(o.db, o.projection, await o.headPosition(), 15 * 60_000);
  const drainSeconds = (drainedAt - drainStart) / 1000;
  const projectorInsertsPerSecond = ((o.posts + 10) * o.cachedFollowers) / ((drainedAt - phaseStart) / 1000);
  const fanout: Record<'ordinary' | 'celebrity', number[]> = { ordinary: [], celebrity: [] };
  for (let i = 0; i < o.fanoutPosts; i++) {
    for (const who of ['ordinary', 'celebrity'] as const) {
      const reply = await post(o.commandUrl, who === 'ordinary' ? o.ordinaryToken : o.celebrityToken);
      const acceptedAt = performance.now();
      const position = (JSON.parse(reply.body) as { position: number }).position;
      fanout[who].push((await waitForCheckpoint(o.db, o.projection, position, 120_000)) - acceptedAt);
    }
  }
  return {
    drainSeconds: Math.round(drainSeconds * 10) / 10,
    projectorInsertsPerSecond: Math.round(projectorInsertsPerSecond),
    ordinary: summarise(samples.ordinary!),
    celebrity: summarise(samples.celebrity!),
    baseline: summarise(samples.baseline!),
    fanoutOrdinary: summarise(fanout.ordinary),
    fanoutCelebrity: summarise(fanout.celebrity),
  };
}

/** performance.now() at which the projection's checkpoint was first seen at or past `position`. */
export async function waitForCheckpoint(db: SqlQueryable, projection: string, position: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ position: number }>(`SELECT position FROM projection_checkpoints WHERE name = $1`, [projection]);
    const now = performance.now();
    if ((rows[0]?.position ?? 0) >= position) return now;
    if (now > deadline) throw new Error(`projection ${projection} did not reach position ${position} within ${timeoutMs} ms`);
    await sleep(1);
  }
}
