import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { defineProjection, type EventHandlers, type ProjectedEvent, type RunHandlers } from '../../projection.ts';
import { runDdl } from '../../ddl.ts';
import { ANALYTICS_NAME, ANALYTICS_TABLES, ANALYTICS_VERSION, analyticsDdl, analyticsReaderIndexes, analyticsTables as t, type FactKind } from './schema.ts';

interface Fact {
  kind: FactKind;
  actor: string;
  target: string | null;
  tweet: string | null;
}

type Counted = 'UserRegistered' | 'TweetPosted' | 'TweetDeleted' | 'Retweeted' | 'RetweetUndone' | 'TweetLiked' | 'TweetUnliked' | 'Followed' | 'Unfollowed';

/** What an event counts as. Engagement facts name the tweet's author as the target (who got it). */
function factOf(e: ProjectedEvent): Fact | null {
  switch (e.type) {
    case 'UserRegistered':
      return { kind: 'registration', actor: e.data.userId, target: null, tweet: null };
    case 'TweetPosted':
      return { kind: 'post', actor: e.data.authorId, target: null, tweet: e.data.tweetId };
    case 'TweetDeleted':
      return { kind: 'delete', actor: e.data.authorId, target: null, tweet: e.data.tweetId };
    case 'Retweeted':
    case 'RetweetUndone':
    case 'TweetLiked':
    case 'TweetUnliked': {
      const kind = ({ Retweeted: 'retweet', RetweetUndone: 'unretweet', TweetLiked: 'like', TweetUnliked: 'unlike' } as const)[e.type];
      return { kind, actor: e.data.userId, target: e.data.authorId, tweet: e.data.tweetId };
    }
    case 'Followed':
    case 'Unfollowed':
      return { kind: e.type === 'Followed' ? 'follow' : 'unfollow', actor: e.data.followerId, target: e.data.followeeId, tweet: null };
    default:
      return null;
  }
}

/**
 * Any run of counted events, in one INSERT of facts keyed by position (a redelivery is a no-op),
 * plus the registrations' handles. One handler for every counted type, so a batch of mixed events
 * is one run: catch-up over a million events is a few hundred statements.
 */
async function factRun(tx: SqlQueryable, events: readonly ProjectedEvent[]): Promise<void> {
  const rows = events.flatMap((e) => {
    const fact = factOf(e);
    return fact ? [{ e, fact }] : [];
  });
  if (rows.length > 0) {
    await tx.query(
      `INSERT INTO ${t.facts} (position, kind, occurred_at, actor_id, target_user_id, tweet_id)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])
       ON CONFLICT (position) DO NOTHING`,
      [
        rows.map((r) => r.e.position),
        rows.map((r) => r.fact.kind),
        rows.map((r) => r.e.occurredAt),
        rows.map((r) => r.fact.actor),
        rows.map((r) => r.fact.target),
        rows.map((r) => r.fact.tweet),
      ],
    );
  }
  const registrations = events.filter((e) => e.type === 'UserRegistered');
  if (registrations.length > 0) {
    await tx.query(
      `INSERT INTO ${t.users} (user_id, handle, registered_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) ON CONFLICT (user_id) DO NOTHING`,
      [registrations.map((e) => e.data.userId), registrations.map((e) => e.data.handle), registrations.map((e) => e.occurredAt)],
    );
  }
}

const counted: readonly Counted[] = ['UserRegistered', 'TweetPosted', 'TweetDeleted', 'Retweeted', 'RetweetUndone', 'TweetLiked', 'TweetUnliked', 'Followed', 'Unfollowed'];

export const analyticsProjection = defineProjection({
  name: ANALYTICS_NAME,
  version: ANALYTICS_VERSION,
  readsTables: ANALYTICS_TABLES,
  setup: (db) => runDdl(db, analyticsDdl),
  readerIndexes: analyticsReaderIndexes,
  on: Object.fromEntries(counted.map((type) => [type, (tx: SqlQueryable, e: ProjectedEvent) => factRun(tx, [e])])) as EventHandlers,
  runs: Object.fromEntries(counted.map((type) => [type, factRun])) as RunHandlers,
});
