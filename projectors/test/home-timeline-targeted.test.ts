import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch, expectedHome, openRig, PairHistory, setups, type TimelineRig } from './home-timeline-support.ts';
import { CHECKPOINT_TABLE, ensureCheckpointTable } from '../src/checkpoints.ts';
import { homeList } from '../src/read-models/home-timeline/lists.ts';
import { decodeEvent } from '../src/projection.ts';
import { uuid } from './support.ts';

describe.each(setups)('cached home timeline, targeted ($label)', (setup) => {
  let rig: TimelineRig;
  beforeAll(async () => {
    rig = await openRig(setup, 'ht_targeted');
  });
  afterAll(async () => {
    await rig?.close();
  });
  const users = (h: PairHistory, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const id = uuid();
      h.register(id, `user_${i}`);
      return id;
    });

  it("a celebrity's retweet of a tweet the reader already sees does not surface at the top", async () => {
    await rig.reconfigure({ maxEntries: 10, celebrityThreshold: 2 });
    const h = new PairHistory();
    const [u, v, f, c] = users(h, 4);
    h.follow(u!, f!);
    h.follow(u!, c!);
    h.follow(v!, c!); // c: 2 followers, a celebrity
    const t = uuid();
    h.post(f!, t);
    for (let i = 0; i < 3; i++) h.post(f!, uuid());
    h.retweet(t, f!, c!);
    const { executor } = rig.backend;
    await applyBatch(executor, rig.projection, h.events);
    const page = await rig.read(u!, 1);
    expect(page.items).toEqual(expectedHome(h.events, u!).slice(0, 1));
    expect(await rig.readAll(u!, [1])).toEqual(expectedHome(h.events, u!));
    expect(await rig.readAll(v!, [1])).toEqual(expectedHome(h.events, v!));
  });

  it('a returning user (never cached, or expired/flushed) sees a full timeline at once', async () => {
    await rig.reconfigure({ maxEntries: 4, celebrityThreshold: 3 });
    const h = new PairHistory();
    const [u, a, b] = users(h, 3);
    h.follow(u!, a!);
    h.follow(u!, b!);
    for (let i = 0; i < 7; i++) h.post(i % 2 ? a! : b!, uuid());
    await applyBatch(rig.backend.executor, rig.projection, h.events);
    // Never read before: no cached list, fan-out skipped it; the first read rebuilds it.
    const first = await rig.read(u!, 5);
    expect(first.items).toEqual(expectedHome(h.events, u!).slice(0, 5));
    expect(first.nextCursor).not.toBeNull();
    // Flushed (or expired after CHIRP_INACTIVE_DAYS): the same.
    await rig.cache.clear();
    expect(await rig.readAll(u!, [5])).toEqual(expectedHome(h.events, u!));
  });

  // The store's feed delivers in position order, where every post takes the cache's cheap path
  // (offer with newest: true). A feed that keeps only each stream's order may deliver a post after
  // newer entries; these two are the cases where the cheap path would then go wrong.
  it('a post delivered after a retweet of it (another stream) replaces the retweet instead of joining it', async () => {
    await rig.reconfigure({ maxEntries: 5, celebrityThreshold: 5 });
    const h = new PairHistory();
    const [u, a, b] = users(h, 3);
    h.follow(u!, a!);
    h.follow(u!, b!);
    await applyBatch(rig.backend.executor, rig.projection, h.events.slice());
    await rig.read(u!, 1);
    const t = uuid();
    const post = h.post(a!, t);
    const retweet = h.retweet(t, a!, b!);
    await applyBatch(rig.backend.executor, rig.projection, [retweet]);
    await applyBatch(rig.backend.executor, rig.projection, [post]);
    expect(await rig.readAll(u!, [1, 5])).toEqual(expectedHome(h.events, u!));
    // The list itself holds the tweet once (the reader's merge would hide a second entry).
    const cached = await rig.cache.read(homeList(u!), { limit: 10 });
    expect(cached?.entries).toEqual([{ tweetId: t, position: post.position, retweetedBy: null }]);
  });

  it('a post delivered late stays out of the gap below an incomplete list', async () => {
    await rig.reconfigure({ maxEntries: 2, celebrityThreshold: 5 });
    const h = new PairHistory();
    const [u, a] = users(h, 2);
    h.follow(u!, a!);
    await applyBatch(rig.backend.executor, rig.projection, h.events.slice());
    await rig.read(u!, 1);
    const ids = [uuid(), uuid(), uuid(), uuid()];
    const posts = ids.map((id) => h.post(a!, id));
    const deleted = h.deleteTweet(a!, ids[3]!);
    // The list takes p2..p4 and trims to [p4, p3] (incomplete); the delete leaves [p3], room for one.
    await applyBatch(rig.backend.executor, rig.projection, posts.slice(1));
    await applyBatch(rig.backend.executor, rig.projection, [deleted]);
    await applyBatch(rig.backend.executor, rig.projection, [posts[0]!]); // p1, below the gap
    expect(await rig.readAll(u!, [1, 3])).toEqual(expectedHome(h.events, u!));
  });

  it('paging past the cache cap continues from SQL with the same cursor', async () => {
    await rig.reconfigure({ maxEntries: 3, celebrityThreshold: 5 });
    const h = new PairHistory();
    const [u, a] = users(h, 2);
    h.follow(u!, a!);
    await applyBatch(rig.backend.executor, rig.projection, h.events.slice());
    await rig.read(u!, 1); // cached (empty, complete) before the posts: fan-out fills and trims it
    for (let i = 0; i < 10; i++) h.post(a!, uuid());
    await applyBatch(rig.backend.executor, rig.projection, h.events);
    const expected = expectedHome(h.events, u!);
    expect(expected).toHaveLength(10);
    for (const sizes of [[2], [1], [4, 3], [10]]) expect(await rig.readAll(u!, sizes)).toEqual(expected);
  });

  it('no short or empty pages after deletes and duplicate retweets', async () => {
    await rig.reconfigure({ maxEntries: 6, celebrityThreshold: 5 });
    const h = new PairHistory();
    const [u, a, b, c] = users(h, 4);
    for (const x of [a, b, c]) h.follow(u!, x!);
    await applyBatch(rig.backend.executor, rig.projection, h.events.slice());
    await rig.read(u!, 1);
    const tweets: string[] = [];
    for (let i = 0; i < 12; i++) {
      const t = uuid();
      tweets.push(t);
      h.post(a!, t);
      h.retweet(t, a!, b!); // the same tweet again: hidden behind the original
    }
    for (let i = 0; i < 12; i += 2) h.deleteTweet(a!, tweets[i]!);
    await applyBatch(rig.backend.executor, rig.projection, h.events);
    const expected = expectedHome(h.events, u!);
    expect(expected).toHaveLength(6);
    for (const sizes of [[1], [2], [3], [5], [6], [7]]) expect(await rig.readAll(u!, sizes)).toEqual(expected);
  });

  it('an old tweet retweeted later by an ordinary followee does not surface at the top, even when trimmed from the cache', async () => {
    await rig.reconfigure({ maxEntries: 3, celebrityThreshold: 5 });
    const h = new PairHistory();
    const [u, f, g] = users(h, 3);
    h.follow(u!, f!);
    h.follow(u!, g!);
    await applyBatch(rig.backend.executor, rig.projection, h.events.slice());
    await rig.read(u!, 1);
    const old = uuid();
    h.post(f!, old);
    for (let i = 0; i < 5; i++) h.post(f!, uuid()); // 'old' is trimmed from u's cached list
    h.retweet(old, f!, g!);
    await applyBatch(rig.backend.executor, rig.projection, h.events);
    const page = await rig.read(u!, 3);
    expect(page.items.map((i) => i.tweetId)).not.toContain(old);
    expect(await rig.readAll(u!, [2])).toEqual(expectedHome(h.events, u!));
    // g's own timeline shows it, as g's retweet, at the top.
    expect((await rig.read(g!, 1)).items).toEqual(expectedHome(h.events, g!).slice(0, 1));
    expect((await rig.read(g!, 1)).items[0]).toMatchObject({ tweetId: old, retweetedBy: g });
  });

  it('a crash between the cache writes and the commit converges on replay (also with a rebuild in between)', async () => {
    await rig.reconfigure({ maxEntries: 5, celebrityThreshold: 3 });
    const h = new PairHistory();
    const [u, v, a, b] = users(h, 4);
    h.follow(u!, a!);
    h.follow(v!, a!);
    h.follow(u!, b!);
    const ts = Array.from({ length: 4 }, () => uuid());
    for (const t of ts) h.post(a!, t);
    const { executor } = rig.backend;
    await applyBatch(executor, rig.projection, h.events.slice());
    for (const x of [u, v, a, b]) await rig.read(x!, 2);
    const start = h.events.length;
    h.retweet(ts[0]!, a!, b!);
    h.deleteTweet(a!, ts[1]!);
    h.undoRetweet(ts[0]!, a!, b!);
    h.post(b!, uuid());
    h.unfollow(u!, a!);
    h.follow(b!, a!); // a: 3 followers again, crosses into celebrity
    h.post(a!, uuid());
    const batch = h.events.slice(start);
    // The batch's cache writes happen, then it rolls back (a crash before COMMIT)…
    await executor
      .transaction(async (tx) => {
        for (const e of batch) await rig.projection.apply(tx, decodeEvent(e));
        throw new Error('crash');
      })
      .catch(() => {});
    // …a reader rebuilds a list from the committed SQL meanwhile…
    await rig.read(v!, 1);
    // …and the batch is applied again.
    await applyBatch(executor, rig.projection, batch);
    for (const x of [u, v, a, b]) expect(await rig.readAll(x!, [2])).toEqual(expectedHome(h.events, x!));
  });

  it('an author crossing the threshold both ways keeps every timeline correct', async () => {
    await rig.reconfigure({ maxEntries: 4, celebrityThreshold: 3, celebrityExitThreshold: 2 });
    const h = new PairHistory();
    const [s, x, y, z, w] = users(h, 5);
    const { executor } = rig.backend;
    const check = async () => {
      for (const p of [s, x, y, z, w]) expect(await rig.readAll(p!, [1, 3])).toEqual(expectedHome(h.events, p!));
    };
    let applied = 0;
    const step = async () => {
      await applyBatch(executor, rig.projection, h.events.slice(applied));
      applied = h.events.length;
      await check();
    };
    h.follow(x!, s!);
    h.follow(y!, s!);
    h.post(s!, uuid());
    h.post(w!, uuid());
    h.follow(x!, w!);
    await step();
    h.follow(z!, s!); // 3 followers: a celebrity
    const t = uuid();
    h.post(s!, t);
    h.retweet(t, s!, w!);
    await step();
    h.unfollow(z!, s!); // 2: still a celebrity (exit below 2)
    h.post(s!, uuid());
    await step();
    h.unfollow(y!, s!); // 1: ordinary again
    h.post(s!, uuid());
    h.retweet(t, s!, x!);
    await step();
  });

  it("a celebrity's earlier retweet delivered after a later one was fanned out takes its place", async () => {
    await rig.reconfigure({ maxEntries: 5, celebrityThreshold: 2 });
    const h = new PairHistory();
    const [u, v, c, f, a] = users(h, 5);
    h.follow(u!, c!);
    h.follow(v!, c!); // c: a celebrity
    h.follow(u!, f!);
    const t = uuid();
    h.post(a!, t); // u does not follow a
    const cRetweet = h.retweet(t, a!, c!);
    const cPosts = [h.post(c!, uuid()), h.post(c!, uuid())];
    const fRetweet = h.retweet(t, a!, f!);
    const newer = [h.post(f!, uuid()), h.post(f!, uuid()), h.post(f!, uuid())];
    const { executor } = rig.backend;
    const before = h.events.slice(0, -7);
    await applyBatch(executor, rig.projection, before);
    await rig.read(u!, 1);
    // Streams interleaved: f's retweet is delivered (and fanned out) before c's earlier one.
    await applyBatch(executor, rig.projection, [fRetweet]);
    await applyBatch(executor, rig.projection, [cRetweet, ...cPosts, ...newer]);
    expect(await rig.readAll(u!, [1])).toEqual(expectedHome(h.events, u!));
    expect((await rig.read(u!, 10)).items[5]).toMatchObject({ tweetId: t, retweetedBy: c });
    // And when c undoes it, f's retweet comes back in its place.
    h.undoRetweet(t, a!, c!);
    await applyBatch(executor, rig.projection, h.events.slice(-1));
    expect(await rig.readAll(u!, [1])).toEqual(expectedHome(h.events, u!));
    expect((await rig.read(u!, 5)).items[3]).toMatchObject({ tweetId: t, retweetedBy: f });
  });
});

describe('rebuilds are serialised with fan-out (PostgreSQL)', () => {
  let rig: TimelineRig;
  beforeAll(async () => {
    rig = await openRig(setups.find((s) => s.engine === 'postgres')!, 'ht_serial');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('a rebuild waits for the batch holding the checkpoint row, then sees its entries', async () => {
    await rig.reconfigure({ maxEntries: 5, celebrityThreshold: 5 });
    const { executor } = rig.backend;
    await ensureCheckpointTable(executor);
    await executor.query(
      `INSERT INTO ${CHECKPOINT_TABLE} (name, version, position) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING`,
      [rig.projection.name, rig.projection.version],
    );
    const h = new PairHistory();
    const [u, a] = [uuid(), uuid()];
    h.register(u, 'uuu');
    h.register(a, 'aaa');
    h.follow(u, a);
    await applyBatch(executor, rig.projection, h.events.slice());
    const post = h.post(a, uuid());
    const other = await rig.backend.openExecutor();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let batchStarted!: () => void;
    const started = new Promise<void>((r) => (batchStarted = r));
    // A batch: the checkpoint compare-and-set first (the row stays locked), then the event.
    const batch = other.transaction(async (tx) => {
      await tx.query(`UPDATE ${CHECKPOINT_TABLE} SET position = 1 WHERE name = $1`, [rig.projection.name]);
      batchStarted();
      await held;
      await rig.projection.apply(tx, decodeEvent(post));
    });
    await started;
    let readDone = false;
    const read = rig.read(u, 5).then((page) => ((readDone = true), page));
    await new Promise((r) => setTimeout(r, 300));
    expect(readDone).toBe(false); // the rebuild waits for the batch
    release();
    await batch;
    const page = await read;
    expect(page.items).toEqual(expectedHome(h.events, u));
    expect(page.items.map((i) => i.tweetId)).toEqual([(post.data as { tweetId: string }).tweetId]);
  });
});
