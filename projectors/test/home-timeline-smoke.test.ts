import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch, expectedHome, openRig, PairHistory, setups, type TimelineRig } from './home-timeline-support.ts';
import { uuid } from './support.ts';

describe.each(setups)('smoke $label', (setup) => {
  let rig: TimelineRig;
  beforeAll(async () => {
    rig = await openRig(setup, 'ht_smoke');
  });
  afterAll(async () => {
    await rig?.close();
  });
  it('serves a simple history', async () => {
    await rig.reconfigure({ maxEntries: 3, celebrityThreshold: 2 });
    const h = new PairHistory();
    const [a, b, c, d] = [uuid(), uuid(), uuid(), uuid()];
    for (const u of [a, b, c, d]) h.register(u, `u${u.slice(0, 6)}`);
    h.follow(a, b);
    h.follow(c, b); // b becomes a celebrity
    h.follow(a, d);
    const tweets = Array.from({ length: 6 }, () => uuid());
    h.post(b, tweets[0]!);
    h.post(d, tweets[1]!);
    h.retweet(tweets[0]!, b, d);
    h.post(a, tweets[2]!);
    h.post(d, tweets[3]!);
    h.retweet(tweets[1]!, d, b);
    h.post(b, tweets[4]!);
    await applyBatch(rig.backend.executor, rig.projection, h.events.slice(0, 8));
    for (const u of [a, b, c, d]) await rig.readAll(u, [2]);
    await applyBatch(rig.backend.executor, rig.projection, h.events.slice(8));
    for (const u of [a, b, c, d]) expect(await rig.readAll(u, [2])).toEqual(expectedHome(h.events, u));
    for (const u of [a, b, c, d]) expect(await rig.readAll(u, [1, 5])).toEqual(expectedHome(h.events, u));
  });
});
