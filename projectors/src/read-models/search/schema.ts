import type { SqlQueryable } from '@chirp/event-store/sql/executor';

/**
 * Tables owned by the search read model (docs/read-models.md): live tweets with their text as a
 * tsvector, tags and mentions as arrays (GIN-indexed), tombstones so a late TweetPosted of a
 * deleted tweet stays out, and users by handle and display name.
 */
export const SEARCH_NAME = 'search';
export const SEARCH_VERSION = 1;

/** The text search configuration: English stemming ("running" finds "run"); unknown words stay as they are. */
export const TEXT_SEARCH_CONFIG = 'english';

export const searchTables = {
  tweets: 'rm_search_tweets',
  tombstones: 'rm_search_tombstones',
  users: 'rm_search_users',
} as const;
export const SEARCH_TABLES = Object.values(searchTables);

export const searchDdl = [
  `CREATE TABLE IF NOT EXISTS ${searchTables.tweets} (
     tweet_id   text PRIMARY KEY,
     author_id  text NOT NULL,
     hashtags   text[] NOT NULL,
     mentions   text[] NOT NULL,
     created_at timestamptz NOT NULL,
     position   bigint NOT NULL,
     doc        tsvector NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS ${searchTables.tweets}_doc ON ${searchTables.tweets} USING gin (doc)`,
  `CREATE INDEX IF NOT EXISTS ${searchTables.tweets}_hashtags ON ${searchTables.tweets} USING gin (hashtags)`,
  `CREATE INDEX IF NOT EXISTS ${searchTables.tweets}_mentions ON ${searchTables.tweets} USING gin (mentions)`,
  `CREATE INDEX IF NOT EXISTS ${searchTables.tweets}_created ON ${searchTables.tweets} (created_at DESC)`,
  `CREATE TABLE IF NOT EXISTS ${searchTables.tombstones} (tweet_id text PRIMARY KEY)`,
  `CREATE TABLE IF NOT EXISTS ${searchTables.users} (
     user_id        text PRIMARY KEY,
     handle         text NOT NULL,
     handle_lower   text NOT NULL,
     name_lower     text NOT NULL,
     display_name   text NOT NULL,
     revision       integer NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS ${searchTables.users}_handle ON ${searchTables.users} (handle_lower text_pattern_ops)`,
];

/**
 * Fuzzy user search uses pg_trgm when the server has it (PostgreSQL's contrib, and PGlite with the
 * extension loaded — Chirp's PGlite executor loads it). Without it, user search falls back to
 * prefix and substring matching (reader.ts). Trigram indexes are created only then.
 */
const trigramDdl = [
  `CREATE INDEX IF NOT EXISTS ${searchTables.users}_handle_trgm ON ${searchTables.users} USING gin (handle_lower gin_trgm_ops)`,
  `CREATE INDEX IF NOT EXISTS ${searchTables.users}_name_trgm ON ${searchTables.users} USING gin (name_lower gin_trgm_ops)`,
];

export async function setupSearch(db: SqlQueryable): Promise<void> {
  for (const statement of searchDdl) await db.query(statement);
  if (await enableTrigrams(db)) for (const statement of trigramDdl) await db.query(statement);
}

/** Creates pg_trgm if the server offers it; resolves to whether it is installed. */
async function enableTrigrams(db: SqlQueryable): Promise<boolean> {
  const { rows } = await db.query<{ available: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') AS available`,
  );
  // In public, always: a replay runs this with its shadow schema first on the search path, and
  // an extension created there would go when the shadow schema is dropped.
  if (rows[0]?.available) await db.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`);
  return hasTrigrams(db);
}

export async function hasTrigrams(db: SqlQueryable): Promise<boolean> {
  const { rows } = await db.query<{ installed: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS installed`);
  return rows[0]?.installed ?? false;
}
