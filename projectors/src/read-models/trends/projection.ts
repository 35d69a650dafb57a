import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { defineProjection, type ProjectedEventOf } from '../../projection.ts';
import { runDdl } from '../../ddl.ts';
import { TRENDS_NAME, TRENDS_TABLES, TRENDS_VERSION, trendsDdl, trendsTables as t } from './schema.ts';

/** A run of posts: every (tweet, hashtag) in one INSERT; tombstoned tweets stay out, redeliveries change nothing. */
async function postRun(tx: SqlQueryable, events: readonly ProjectedEventOf<'TweetPosted'>[]): Promise<void> {
  const rows = events.flatMap((e) => e.data.hashtags.map((tag) => ({ tweetId: e.data.tweetId, tag, authorId: e.data.authorId, at: e.occurredAt })));
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO ${t.uses} (tweet_id, tag, author_id, occurred_at)
     SELECT u.tweet_id, u.tag, u.author_id, u.at::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(tweet_id, tag, author_id, at)
      WHERE NOT EXISTS (SELECT 1 FROM ${t.tombstones} d WHERE d.tweet_id = u.tweet_id)
     ON CONFLICT (tweet_id, tag) DO NOTHING`,
    [rows.map((r) => r.tweetId), rows.map((r) => r.tag), rows.map((r) => r.authorId), rows.map((r) => r.at)],
  );
}

async function setHidden(tx: SqlQueryable, e: ProjectedEventOf<'TrendHidden' | 'TrendShown'>, hidden: boolean): Promise<void> {
  // The tag's stream revision orders hide/show: a redelivered older one changes nothing.
  await tx.query(
    `INSERT INTO ${t.hidden} AS h (tag, hidden, revision) VALUES ($1, $2, $3)
     ON CONFLICT (tag) DO UPDATE SET hidden = EXCLUDED.hidden, revision = EXCLUDED.revision WHERE h.revision < EXCLUDED.revision`,
    [e.data.tag, hidden, e.streamRevision],
  );
}

export const trendsProjection = defineProjection({
  name: TRENDS_NAME,
  version: TRENDS_VERSION,
  readsTables: TRENDS_TABLES,
  setup: (db) => runDdl(db, trendsDdl),
  on: {
    TweetPosted: (tx, e) => postRun(tx, [e]),
    async TweetDeleted(tx, e) {
      await tx.query(`INSERT INTO ${t.tombstones} (tweet_id) VALUES ($1) ON CONFLICT DO NOTHING`, [e.data.tweetId]);
      await tx.query(`DELETE FROM ${t.uses} WHERE tweet_id = $1`, [e.data.tweetId]);
    },
    TrendHidden: (tx, e) => setHidden(tx, e, true),
    TrendShown: (tx, e) => setHidden(tx, e, false),
  },
  runs: { TweetPosted: postRun },
});
