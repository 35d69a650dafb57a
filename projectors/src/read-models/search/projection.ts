import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { defineProjection, type ProjectedEventOf } from '../../projection.ts';
import { SEARCH_NAME, SEARCH_TABLES, SEARCH_VERSION, searchTables as t, setupSearch, TEXT_SEARCH_CONFIG } from './schema.ts';

/**
 * A run of posts in one INSERT; a tombstoned tweet (deleted before its post was delivered) stays
 * out, a post delivered again changes nothing. The document is the text, weighted A, plus the
 * hashtags (so `rust` also finds "#rust"), weighted B.
 */
async function postRun(tx: SqlQueryable, events: readonly ProjectedEventOf<'TweetPosted'>[]): Promise<void> {
  await tx.query(
    `INSERT INTO ${t.tweets} (tweet_id, author_id, hashtags, mentions, created_at, position, doc)
     SELECT p.tweet_id, p.author_id,
            ARRAY(SELECT jsonb_array_elements_text(p.hashtags)), ARRAY(SELECT jsonb_array_elements_text(p.mentions)),
            p.created_at::timestamptz, p.position,
            setweight(to_tsvector('${TEXT_SEARCH_CONFIG}', p.text), 'A')
              || setweight(to_tsvector('${TEXT_SEARCH_CONFIG}', array_to_string(ARRAY(SELECT jsonb_array_elements_text(p.hashtags)), ' ')), 'B')
       FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::text[], $7::bigint[])
         AS p(tweet_id, author_id, text, hashtags, mentions, created_at, position)
      WHERE NOT EXISTS (SELECT 1 FROM ${t.tombstones} d WHERE d.tweet_id = p.tweet_id)
     ON CONFLICT (tweet_id) DO NOTHING`,
    [
      events.map((e) => e.data.tweetId),
      events.map((e) => e.data.authorId),
      events.map((e) => e.data.text),
      events.map((e) => JSON.stringify(e.data.hashtags)),
      events.map((e) => JSON.stringify(e.data.mentions)),
      events.map((e) => e.occurredAt),
      events.map((e) => e.position),
    ],
  );
}

/** A run of registrations in one INSERT; the first registration of a user id wins. */
async function registrationRun(tx: SqlQueryable, events: readonly ProjectedEventOf<'UserRegistered'>[]): Promise<void> {
  await tx.query(
    `INSERT INTO ${t.users} (user_id, handle, handle_lower, name_lower, display_name, revision)
     SELECT r.user_id, r.handle, lower(r.handle), lower(r.display_name), r.display_name, r.revision
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) WITH ORDINALITY AS r(user_id, handle, display_name, revision, n)
      ORDER BY r.n
     ON CONFLICT (user_id) DO NOTHING`,
    [events.map((e) => e.data.userId), events.map((e) => e.data.handle), events.map((e) => e.data.displayName), events.map((e) => e.streamRevision)],
  );
}

export const searchProjection = defineProjection({
  name: SEARCH_NAME,
  version: SEARCH_VERSION,
  readsTables: SEARCH_TABLES,
  setup: setupSearch,
  on: {
    TweetPosted: (tx, e) => postRun(tx, [e]),
    async TweetDeleted(tx, e) {
      await tx.query(`INSERT INTO ${t.tombstones} (tweet_id) VALUES ($1) ON CONFLICT DO NOTHING`, [e.data.tweetId]);
      await tx.query(`DELETE FROM ${t.tweets} WHERE tweet_id = $1`, [e.data.tweetId]);
    },
    UserRegistered: (tx, e) => registrationRun(tx, [e]),
    async ProfileUpdated(tx, e) {
      // Revisions of the user's stream order the updates: a redelivered older one is ignored.
      await tx.query(
        `UPDATE ${t.users} SET display_name = COALESCE($2::text, display_name), name_lower = lower(COALESCE($2::text, display_name)), revision = $3
          WHERE user_id = $1 AND revision < $3`,
        [e.data.userId, e.data.displayName ?? null, e.streamRevision],
      );
    },
  },
  runs: { TweetPosted: postRun, UserRegistered: registrationRun },
});
