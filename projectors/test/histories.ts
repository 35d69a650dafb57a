import type { StoredEvent } from '@chirp/domain/envelope';
import fc from 'fast-check';
import { PairHistory } from './home-timeline-support.ts';
import { interleaveByStream, uuid } from './support.ts';

// ---------------------------------------------------------------------------------------------
// Random histories over a few users, turned into events only when the domain allows them (plus
// the cross-stream race the domain cannot prevent: a retweet landing after a delete), and their
// at-least-once deliveries. Follows are per-pair streams, as the command side writes them, and
// come in bursts too (many users following or unfollowing one account in a row), so a batch holds
// long runs of Followed/Unfollowed that cross a small celebrity threshold, both ways.
// ---------------------------------------------------------------------------------------------
export type Command =
  | { kind: 'follow' | 'unfollow'; a: number; b: number }
  | { kind: 'burst'; b: number; from: number; n: number }
  | { kind: 'post'; a: number }
  | { kind: 'retweet' | 'undo' | 'delete' | 'lateRetweet' | 'like' | 'unlike'; a: number; k: number };

// User 0 is the likely celebrity: followed and retweeting more often than the others.
export const command = (users: number): fc.Arbitrary<Command> => {
  const anyone = fc.nat(users - 1);
  const star = fc.oneof(fc.constant(0), anyone);
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('follow' as const), a: anyone, b: star }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('unfollow' as const), a: anyone, b: star }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('burst' as const), b: star, from: anyone, n: fc.integer({ min: 1, max: users }) }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('post' as const), a: anyone }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('retweet' as const), a: star, k: fc.nat(50) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('undo' as const), a: star, k: fc.nat(50) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), a: anyone, k: fc.nat(50) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('lateRetweet' as const), a: anyone, k: fc.nat(50) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('like' as const), a: anyone, k: fc.nat(50) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('unlike' as const), a: anyone, k: fc.nat(50) }) },
  );
};

export function buildHistory(userCount: number, commands: readonly Command[]): { users: string[]; events: StoredEvent[] } {
  const h = new PairHistory();
  const users = Array.from({ length: userCount }, (_, i) => {
    const id = uuid();
    h.register(id, `user_${i}`);
    return id;
  });
  const follows = new Set<string>();
  const live: { id: string; author: string }[] = [];
  const deleted: { id: string; author: string }[] = [];
  const retweets = new Set<string>();
  const likes = new Set<string>();
  const setFollow = (actor: string, other: string, on: boolean) => {
    if (actor === other || follows.has(`${actor}|${other}`) === on) return;
    if (on) {
      follows.add(`${actor}|${other}`);
      h.follow(actor, other);
    } else {
      follows.delete(`${actor}|${other}`);
      h.unfollow(actor, other);
    }
  };
  for (const c of commands) {
    switch (c.kind) {
      case 'follow':
      case 'unfollow':
        setFollow(users[c.a]!, users[c.b]!, c.kind === 'follow');
        break;
      case 'burst': {
        // n users in a row toggle their follow of b.
        const other = users[c.b]!;
        for (let i = 0; i < c.n; i++) {
          const actor = users[(c.from + i) % userCount]!;
          setFollow(actor, other, !follows.has(`${actor}|${other}`));
        }
        break;
      }
      case 'post': {
        const id = uuid();
        live.push({ id, author: users[c.a]! });
        h.post(users[c.a]!, id);
        break;
      }
      case 'retweet': {
        const actor = users[c.a]!;
        const candidates = live.filter((t) => !retweets.has(`${t.id}|${actor}`));
        const t = candidates[c.k % Math.max(1, candidates.length)];
        if (!t) break;
        retweets.add(`${t.id}|${actor}`);
        h.retweet(t.id, t.author, actor);
        break;
      }
      case 'undo': {
        const actor = users[c.a]!;
        const mine = live.filter((t) => retweets.has(`${t.id}|${actor}`));
        const t = mine[c.k % Math.max(1, mine.length)];
        if (!t) break;
        retweets.delete(`${t.id}|${actor}`);
        h.undoRetweet(t.id, t.author, actor);
        break;
      }
      case 'delete': {
        const own = live.filter((t) => t.author === users[c.a]);
        const t = own[c.k % Math.max(1, own.length)];
        if (!t) break;
        live.splice(live.indexOf(t), 1);
        deleted.push(t);
        h.deleteTweet(t.author, t.id);
        break;
      }
      case 'lateRetweet': {
        // The cross-stream race the domain cannot prevent: a retweet landing after the delete.
        const actor = users[c.a]!;
        const t = deleted[c.k % Math.max(1, deleted.length)];
        if (!t || retweets.has(`${t.id}|${actor}`)) break;
        retweets.add(`${t.id}|${actor}`);
        h.retweet(t.id, t.author, actor);
        break;
      }
      case 'like':
      case 'unlike': {
        const actor = users[c.a]!;
        const on = c.kind === 'like';
        const candidates = live.filter((t) => likes.has(`${t.id}|${actor}`) !== on);
        const t = candidates[c.k % Math.max(1, candidates.length)];
        if (!t) break;
        if (on) {
          likes.add(`${t.id}|${actor}`);
          h.like(t.id, t.author, actor);
        } else {
          likes.delete(`${t.id}|${actor}`);
          h.unlike(t.id, t.author, actor);
        }
        break;
      }
    }
  }
  return { users, events: h.events };
}

export type Delivery = 'in-order' | 'redelivered' | 'interleaved';
export const deliveries: readonly Delivery[] = ['in-order', 'redelivered', 'interleaved'];

export const prng = (seed: number) => {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
};

/**
 * At-least-once delivery: in order; or with redeliveries (an event again at once, or an earlier
 * one later, as a consumer restarting from an older offset); or, besides, streams interleaved.
 */
export function deliveryOrder(events: readonly StoredEvent[], delivery: Delivery, random: () => number): StoredEvent[] {
  if (delivery === 'in-order') return [...events];
  const base = delivery === 'interleaved' ? interleaveByStream(events, random) : [...events];
  const out: StoredEvent[] = [];
  for (const e of base) {
    out.push(e);
    const r = random();
    if (r < 0.1) out.push(e);
    else if (out.length > 1 && r < 0.3) out.push(out[Math.floor(random() * out.length)]!);
  }
  return out;
}
