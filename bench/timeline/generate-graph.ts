import { randomUUID } from 'node:crypto';
import { appendInTransaction, type SqlExecutor } from '@chirp/event-store';
import type { NewEvent } from '@chirp/domain/envelope';
import { eventSchemas, schemaVersions, type ChirpEvent } from '@chirp/domain/events';
import { streams } from '@chirp/domain/streams';
import { Progress } from '@chirp/platform/progress';
import { appendNewStreams } from './bulk-append.ts';
import type { Graph } from './graph-model.ts';

/**
 * Writes the graph into the event store as the command API would have: per user a
 * HandleReserved (`handle-…`) and a UserRegistered (`user-…`), per follow a Followed in its
 * `follow-<follower>-<followee>` stream, per tweet a TweetPosted in `tweet-…`. Every append goes
 * through the store's own `appendInTransaction` (stream lock, expectation, xid-based positions),
 * many appends per transaction and several transactions in parallel, so positions and visibility
 * are exactly what the store guarantees. Every payload is checked against the event catalogue.
 */

export interface Append {
  streamId: string;
  event: ChirpEvent;
  actor: string;
}

export interface GenerateOptions {
  /** Appends per transaction. */
  batch: number;
  /** Transactions in flight. */
  workers: number;
  /** One scrypt hash for every user (computing 100k would take hours). */
  passwordHash: string;
  /** 'bulk': set-based insert of new streams (bulk-append.ts); 'store': appendInTransaction per stream. */
  appendPath: 'bulk' | 'store';
}

export async function generate(executor: SqlExecutor, graph: Graph, options: GenerateOptions): Promise<{ appends: number; seconds: number }> {
  const started = Date.now();
  const phases: Array<[string, Append[]]> = [
    ['users  ', registrations(graph, options.passwordHash)],
    ['follows', follows(graph)],
    ['tweets ', tweets(graph)],
  ];
  let appends = 0;
  for (const [label, items] of phases) {
    await writeAll(executor, items, options, new Progress(`generate ${label}`, items.length, 'appends'));
    appends += items.length;
  }
  return { appends, seconds: (Date.now() - started) / 1000 };
}

function* registrationsOf(graph: Graph, passwordHash: string): Generator<Append> {
  for (const u of graph.users) {
    yield { streamId: streams.handle(u.handle), event: { type: 'HandleReserved', data: { handle: u.handle, userId: u.userId } }, actor: u.userId };
    yield {
      streamId: streams.user(u.userId),
      event: { type: 'UserRegistered', data: { userId: u.userId, handle: u.handle, displayName: `Bench user ${u.index}`, passwordHash } },
      actor: u.userId,
    };
  }
}

export function registrations(graph: Graph, passwordHash: string): Append[] {
  return [...registrationsOf(graph, passwordHash)];
}

export function follows(graph: Graph): Append[] {
  const out: Append[] = [];
  graph.followees.forEach((list, f) => {
    const follower = graph.users[f]!.userId;
    for (const e of list) {
      const followee = graph.users[e]!.userId;
      out.push({ streamId: streams.follow(follower, followee), event: { type: 'Followed', data: { followerId: follower, followeeId: followee } }, actor: follower });
    }
  });
  return out;
}

export function tweets(graph: Graph): Append[] {
  const out: Append[] = [];
  // Interleave authors so the timelines' newest entries mix authors, as real posting would.
  const remaining = new Map(graph.tweetCounts);
  while (remaining.size > 0) {
    for (const [author, left] of remaining) {
      const authorId = graph.users[author]!.userId;
      const tweetId = randomUUID();
      out.push({
        streamId: streams.tweet(tweetId),
        event: { type: 'TweetPosted', data: { tweetId, authorId, text: `bench tweet ${left} by ${graph.users[author]!.handle}`, hashtags: [], mentions: [] } },
        actor: authorId,
      });
      if (left <= 1) remaining.delete(author);
      else remaining.set(author, left - 1);
    }
  }
  return out;
}

export function toNewEvent(a: Append, occurredAt: string): NewEvent {
  eventSchemas[a.event.type].parse(a.event.data);
  return {
    eventId: randomUUID(),
    type: a.event.type,
    data: a.event.data,
    schemaVersion: schemaVersions[a.event.type],
    occurredAt,
    metadata: { correlationId: 'bench-generator', causationId: 'bench:generate', actorUserId: a.actor },
  };
}

async function writeAll(executor: SqlExecutor, items: Append[], o: GenerateOptions, progress: Progress): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const chunk = items.slice(next, next + o.batch);
      next += chunk.length;
      const occurredAt = new Date().toISOString();
      await executor.transaction(async (tx) => {
        if (o.appendPath === 'bulk') {
          await appendNewStreams(tx, chunk.map((a) => ({ streamId: a.streamId, event: toNewEvent(a, occurredAt) })));
          return;
        }
        // Every stream is new and written once: 'no_stream' is what the command API would expect.
        for (const a of chunk) await appendInTransaction(tx, a.streamId, [toNewEvent(a, occurredAt)], 'no_stream');
      });
      progress.tick(chunk.length);
    }
  };
  await Promise.all(Array.from({ length: o.workers }, worker));
  progress.finish();
}
