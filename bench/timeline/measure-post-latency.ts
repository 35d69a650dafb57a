import type { SqlQueryable } from '@chirp/event-store';
import { callOk } from './http-client.ts';
import { sleep, summarise, type Summary } from './stats.ts';

/**
 * 1. Post latency: POST /v1/tweets round trips (the command API answers 202 once the event is
 * appended; fan-out happens later in the projector), for an ordinary author and a celebrity,
 * interleaved with the same round trip to a trivial express route (the baseline), one request at a
 * time. After each ordinary post the next request waits (untimed) until the projection has fanned
 * it out: otherwise whichever target comes next is timed against that post's fan-out burst on the
 * same two cores — with the targets rotated, the celebrity came right after an ordinary post twice
 * as often as the baseline did, which read as "celebrity posts are slower". Commands under a
 * fan-out load are what step 4 measures.
 * Then the fan-out time per post: from the 202 until the home-timeline projection's checkpoint has
 * passed the post's position (its batch, fan-out included, committed). Last, a burst of ordinary
 * posts sent back to back: how long the projection takes to drain it, and its insert rate.
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
  db: SqlQueryable;
  projection: string;
}

export interface PostLatencyResult {
  /** Ordinary posts sent back to back, to measure the drain. */
  burstPosts: number;
  /** After the burst: seconds until the home-timeline projection had fanned all of it out. */
  drainSeconds: number;
  /** Burst posts × cached follower timelines, over the time from the first post to the drain: the projection's own fan-out rate. */
  projectorInsertsPerSecond: number;
  ordinary: Summary;
  celebrity: Summary;
  baseline: Summary;
  fanoutOrdinary: Summary;
  fanoutCelebrity: Summary;
}

/** The consistency token of a command's 202: the position of its last event. */
const positionOf = (reply: { body: string }) => (JSON.parse(reply.body) as { position: number }).position;

let counter = 0;
const post = (url: string, token: string) =>
  callOk('POST', `${url}/v1/tweets`, { authorization: `Bearer ${token}` }, JSON.stringify({ text: `bench post ${++counter} at ${Date.now()}` }), [202]);

export async function measurePostLatency(o: PostLatencyOptions): Promise<PostLatencyResult> {
  const targets = [
    { name: 'baseline', run: () => post(o.baselineUrl, 'x') },
    { name: 'ordinary', run: () => post(o.commandUrl, o.ordinaryToken) },
    { name: 'celebrity', run: () => post(o.commandUrl, o.celebrityToken) },
  ] as const;
  let warmedTo = 0;
  for (let i = 0; i < 10; i++) {
    for (const t of targets) {
      const reply = await t.run();
      if (t.name !== 'baseline') warmedTo = positionOf(reply);
    }
  }
  await waitForCheckpoint(o.db, o.projection, warmedTo, 15 * 60_000);
  const samples: Record<string, number[]> = { baseline: [], ordinary: [], celebrity: [] };
  for (let i = 0; i < o.posts; i++) {
    // Rotate the order so no target always comes first or last.
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(i + k) % targets.length]!;
      const reply = await t.run();
      samples[t.name]!.push(reply.ms);
      if (t.name === 'ordinary') await waitForCheckpoint(o.db, o.projection, positionOf(reply), 120_000);
    }
    await sleep(5);
  }
  const fanout: Record<'ordinary' | 'celebrity', number[]> = { ordinary: [], celebrity: [] };
  for (let i = 0; i < o.fanoutPosts; i++) {
    for (const who of ['ordinary', 'celebrity'] as const) {
      const reply = await post(o.commandUrl, who === 'ordinary' ? o.ordinaryToken : o.celebrityToken);
      const acceptedAt = performance.now();
      const position = positionOf(reply);
      fanout[who].push((await waitForCheckpoint(o.db, o.projection, position, 120_000)) - acceptedAt);
    }
  }
  // Sequential posts by a 9k-follower author outrun the fan-out (tens of posts/s × 9k timelines):
  // the drain of such a burst shows the projection's own insert rate.
  const burstStart = performance.now();
  let last = 0;
  for (let i = 0; i < o.posts; i++) last = positionOf(await post(o.commandUrl, o.ordinaryToken));
  const drainStart = performance.now();
  // The last post's own position, not the store's head: while a projector's batch transaction is
  // open, the head readers can see stops below it (docs/event-store.md), and the wait ended early.
  const drainedAt = await waitForCheckpoint(o.db, o.projection, last, 15 * 60_000);
  const drainSeconds = (drainedAt - drainStart) / 1000;
  const projectorInsertsPerSecond = (o.posts * o.cachedFollowers) / ((drainedAt - burstStart) / 1000);
  return {
    burstPosts: o.posts,
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
