import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { decodeCursorFields, encodeCursorFields, InvalidCursorError, validateLimit } from '../../cursor.ts';
import { parseSearchQuery, type SearchQuery } from './search-query.ts';
import { hasTrigrams, searchTables as t, TEXT_SEARCH_CONFIG } from './schema.ts';

export interface SearchHit {
  tweetId: string;
}

export interface SearchPage {
  items: SearchHit[];
  /** Opaque cursor for the next page; null when there is none. */
  nextCursor: string | null;
}

/**
 * Matches considered per search: the newest this many (at or before the search's reference time)
 * are ranked. Bounds the cost of a common word; with recency in the score, older matches would
 * rank below them anyway.
 */
export const SEARCH_CANDIDATES = 10_000;

/**
 * Tweets matching `q` (search-query.ts: words with websearch_to_tsquery semantics, exact `#tag`
 * and `@handle` terms, `-` to exclude), best first. The score blends relevance with recency:
 * ts_rank_cd normalised to [0, 1) (1 for a tags-only query) divided by (1 + age in days), age
 * measured from the search's reference time. That time is fixed by the first page and carried in
 * the cursor, so scores do not drift between pages and tweets posted after it stay out: the pages
 * of one search neither repeat nor skip. Deleted tweets are not in the table.
 */
export async function searchTweets(
  db: SqlQueryable,
  q: string | SearchQuery,
  options: { limit: number; cursor?: string | null; now?: number },
): Promise<SearchPage> {
  const limit = validateLimit(options.limit);
  const query = typeof q === 'string' ? parseSearchQuery(q) : q;
  const after = options.cursor ? decodeSearchCursor(options.cursor) : null;
  const ref = after?.ref ?? options.now ?? Date.now();
  const { rows } = await db.query<{ tweet_id: string; score: number }>(
    `WITH q AS (SELECT CASE WHEN $1::text = '' THEN NULL ELSE websearch_to_tsquery('${TEXT_SEARCH_CONFIG}', $1::text) END AS ts),
     candidates AS (
       SELECT s.tweet_id, s.doc, s.created_at FROM ${t.tweets} s, q
        WHERE (q.ts IS NULL OR s.doc @@ q.ts)
          AND s.hashtags @> $2::text[] AND NOT (s.hashtags && $3::text[])
          AND s.mentions @> $4::text[] AND NOT (s.mentions && $5::text[])
          AND s.created_at <= to_timestamp($6::float8 / 1000)
        ORDER BY s.created_at DESC
        LIMIT ${SEARCH_CANDIDATES}
     ),
     scored AS (
       SELECT c.tweet_id,
              (CASE WHEN q.ts IS NULL THEN 1::float8 ELSE ts_rank_cd(c.doc, q.ts, 32)::float8 END)
                / (1::float8 + extract(epoch FROM (to_timestamp($6::float8 / 1000) - c.created_at))::float8 / 86400) AS score
         FROM candidates c, q
     )
     SELECT tweet_id, score FROM scored
      WHERE $7::float8 IS NULL OR (score, tweet_id) < ($7::float8, $8::text)
      ORDER BY score DESC, tweet_id DESC
      LIMIT $9`,
    [
      query.text,
      query.hashtags.include,
      query.hashtags.exclude,
      query.mentions.include,
      query.mentions.exclude,
      ref,
      after?.score ?? null,
      after?.tweetId ?? null,
      limit + 1,
    ],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({ tweetId: r.tweet_id })),
    nextCursor: rows.length > limit && last ? encodeSearchCursor({ ref, score: Number(last.score), tweetId: last.tweet_id }) : null,
  };
}

interface SearchCursor {
  /** The search's reference time, epoch ms. */
  ref: number;
  score: number;
  tweetId: string;
}

function encodeSearchCursor(c: SearchCursor): string {
  return encodeCursorFields({ r: c.ref, s: c.score, t: c.tweetId });
}

function decodeSearchCursor(cursor: string): SearchCursor {
  const { r, s, t: id } = decodeCursorFields(cursor, 400);
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 0) throw new InvalidCursorError(cursor);
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) throw new InvalidCursorError(cursor);
  if (typeof id !== 'string' || id.length > 64) throw new InvalidCursorError(cursor);
  return { ref: r, score: s, tweetId: id };
}

// Whether the database has pg_trgm, asked once per connection (schema.ts creates it when it can).
const trigramSupport = new WeakMap<SqlQueryable, Promise<boolean>>();

/**
 * Users whose handle starts with `q` or whose display name contains it, and — with pg_trgm —
 * those whose handle or name is similar to it (typos). Best first: exact handle, handle prefix,
 * then similarity (without pg_trgm: shorter handles first). A leading '@' is ignored.
 */
export async function searchUsers(db: SqlQueryable, q: string, options: { limit: number }): Promise<string[]> {
  const limit = validateLimit(options.limit);
  const term = q.trim().replace(/^@/, '').toLowerCase();
  if (term === '') return [];
  const like = term.replace(/[\\%_]/g, (c) => `\\${c}`);
  let trigrams = trigramSupport.get(db);
  if (!trigrams) trigramSupport.set(db, (trigrams = hasTrigrams(db)));
  const { rows } = (await trigrams)
    ? await db.query<{ user_id: string }>(
        `SELECT user_id FROM ${t.users}
          WHERE handle_lower LIKE $2 || '%' OR name_lower LIKE '%' || $2 || '%' OR handle_lower % $1 OR name_lower % $1
          ORDER BY handle_lower = $1 DESC, handle_lower LIKE $2 || '%' DESC,
                   greatest(similarity(handle_lower, $1), similarity(name_lower, $1)) DESC, handle_lower
          LIMIT $3`,
        [term, like, limit],
      )
    : await db.query<{ user_id: string }>(
        `SELECT user_id FROM ${t.users}
          WHERE handle_lower LIKE $2 || '%' OR name_lower LIKE '%' || $2 || '%'
          ORDER BY handle_lower = $1 DESC, handle_lower LIKE $2 || '%' DESC, length(handle_lower), handle_lower
          LIMIT $3`,
        [term, like, limit],
      );
  return rows.map((r) => r.user_id);
}
