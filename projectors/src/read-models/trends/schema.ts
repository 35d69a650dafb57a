/**
 * Tables owned by the trends read model (docs/read-models.md): one row per (tweet, hashtag) with
 * the tweet's author and event time — windows are decided by `occurredAt`, never by when the
 * projection ran, so a replay gives the trends live processing gave — tombstones so a post
 * delivered after its delete stays out, and the tags operators hid.
 */
export const TRENDS_NAME = 'trends';
export const TRENDS_VERSION = 1;

export const trendsTables = {
  uses: 'rm_trends_uses',
  tombstones: 'rm_trends_tombstones',
  hidden: 'rm_trends_hidden',
} as const;
export const TRENDS_TABLES = Object.values(trendsTables);

export const trendsDdl = [
  `CREATE TABLE IF NOT EXISTS ${trendsTables.uses} (
     tweet_id    text NOT NULL,
     tag         text NOT NULL,
     author_id   text NOT NULL,
     occurred_at timestamptz NOT NULL,
     PRIMARY KEY (tweet_id, tag)
   )`,
  `CREATE INDEX IF NOT EXISTS ${trendsTables.uses}_time ON ${trendsTables.uses} (occurred_at, tag)`,
  `CREATE INDEX IF NOT EXISTS ${trendsTables.uses}_tag ON ${trendsTables.uses} (tag, occurred_at)`,
  `CREATE TABLE IF NOT EXISTS ${trendsTables.tombstones} (tweet_id text PRIMARY KEY)`,
  `CREATE TABLE IF NOT EXISTS ${trendsTables.hidden} (
     tag      text PRIMARY KEY,
     hidden   boolean NOT NULL,
     revision integer NOT NULL
   )`,
];
