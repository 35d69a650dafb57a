import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { toNumber } from '../../sql-values.ts';
import { trendsTables as t } from './schema.ts';

/** The windows trends are computed over, each with the longer history its baseline comes from. */
export const TREND_WINDOWS = {
  '1h': { seconds: 3_600, baselineWindows: 24 },
  '24h': { seconds: 86_400, baselineWindows: 7 },
} as const;
export type TrendWindow = keyof typeof TREND_WINDOWS;

export interface Trend {
  tag: string;
  /** Tweets with the tag in the window. */
  tweets: number;
  /** Distinct authors who used the tag in the window. */
  authors: number;
  /** Distinct authors per window over the baseline (the `baselineWindows` windows before this one), on average. */
  baseline: number;
  /** (authors − baseline) / √(baseline + 1): how far above its usual level the tag is. */
  score: number;
}

export interface TrendsOptions {
  window: TrendWindow;
  /** The end of the window, epoch ms (the query API passes its clock; tests their own). */
  now: number;
  limit: number;
  /** A tag needs this many distinct authors in the window to trend (CHIRP_TREND_MIN_AUTHORS). */
  minAuthors: number;
}

/**
 * The trending hashtags: those used by at least `minAuthors` distinct authors in the window
 * ending at `now`, scored by how far their distinct-author count rises above its own baseline —
 * the average per window over the preceding day (1h) or week (24h) — in units of √(baseline+1),
 * the spread of a count. So a tag that spikes outranks one with steady, higher volume (score ~0),
 * one account repeating a tag counts once, and only rising tags (score > 0) trend. Tags an
 * operator hid are left out. Everything is decided by event time, so a replay gives the same
 * trends for the same `now`.
 */
export async function readTrends(db: SqlQueryable, o: TrendsOptions): Promise<Trend[]> {
  const w = TREND_WINDOWS[o.window];
  const { rows } = await db.query<{ tag: string; tweets: unknown; authors: unknown; baseline: number; score: number }>(
    `WITH bounds AS (SELECT to_timestamp($1::float8 / 1000) AS now_at),
     current_window AS (
       SELECT u.tag, count(*) AS tweets, count(DISTINCT u.author_id) AS authors
         FROM ${t.uses} u, bounds b
        WHERE u.occurred_at > b.now_at - make_interval(secs => $2) AND u.occurred_at <= b.now_at
        GROUP BY u.tag
       HAVING count(DISTINCT u.author_id) >= $4
     ),
     baseline AS (
       SELECT u.tag,
              count(DISTINCT u.author_id || ':' || floor(extract(epoch FROM (b.now_at - u.occurred_at)) / $2)::text)::float8 / $3 AS authors
         FROM ${t.uses} u, bounds b
        WHERE u.tag IN (SELECT tag FROM current_window)
          AND u.occurred_at > b.now_at - make_interval(secs => $2 * ($3 + 1)) AND u.occurred_at <= b.now_at - make_interval(secs => $2)
        GROUP BY u.tag
     )
     SELECT c.tag, c.tweets, c.authors, COALESCE(bl.authors, 0) AS baseline,
            (c.authors - COALESCE(bl.authors, 0)) / sqrt(COALESCE(bl.authors, 0) + 1) AS score
       FROM current_window c LEFT JOIN baseline bl ON bl.tag = c.tag
      WHERE NOT EXISTS (SELECT 1 FROM ${t.hidden} h WHERE h.tag = c.tag AND h.hidden)
        AND c.authors > COALESCE(bl.authors, 0)
      ORDER BY score DESC, c.authors DESC, c.tag
      LIMIT $5`,
    [o.now, w.seconds, w.baselineWindows, o.minAuthors, o.limit],
  );
  return rows.map((r) => ({
    tag: r.tag,
    tweets: toNumber(r.tweets),
    authors: toNumber(r.authors),
    baseline: Math.round(Number(r.baseline) * 1000) / 1000,
    score: Math.round(Number(r.score) * 1000) / 1000,
  }));
}

/** The tags operators hid from trends. */
export async function hiddenTrends(db: SqlQueryable): Promise<string[]> {
  const { rows } = await db.query<{ tag: string }>(`SELECT tag FROM ${t.hidden} WHERE hidden ORDER BY tag`);
  return rows.map((r) => r.tag);
}
