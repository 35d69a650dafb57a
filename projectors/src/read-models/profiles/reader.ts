import type { SqlQueryable } from '@chirp/event-store/sql/executor';
import { isoSql, toNumber } from '../../sql-values.ts';

export interface Profile {
  userId: string;
  handle: string;
  displayName: string;
  bio: string;
  /** occurredAt of the UserRegistered event (ISO-8601 UTC). */
  createdAt: string;
  followersCount: number;
  followingCount: number;
  /** Live (not deleted) tweets. */
  tweetsCount: number;
}

interface Row {
  user_id: string;
  handle: string;
  display_name: string;
  bio: string;
  created_at: string;
  followers_count: unknown;
  following_count: unknown;
  tweets_count: unknown;
}

// A user nobody followed and who never posted has no counts row yet.
const select = `SELECT u.user_id, handle, display_name, bio, ${isoSql('created_at')} AS created_at,
  COALESCE(c.followers_count, 0) AS followers_count, COALESCE(c.following_count, 0) AS following_count,
  COALESCE(c.tweets_count, 0) AS tweets_count
  FROM rm_profiles_users u LEFT JOIN rm_profiles_counts c ON c.user_id = u.user_id`;

function toProfile(r: Row): Profile {
  return {
    userId: r.user_id,
    handle: r.handle,
    displayName: r.display_name,
    bio: r.bio,
    createdAt: r.created_at,
    followersCount: toNumber(r.followers_count),
    followingCount: toNumber(r.following_count),
    tweetsCount: toNumber(r.tweets_count),
  };
}

/** The profile with this handle, compared case-insensitively; null when none. */
export async function getProfileByHandle(db: SqlQueryable, handle: string): Promise<Profile | null> {
  const { rows } = await db.query<Row>(`${select} WHERE handle_lower = lower($1)`, [handle]);
  return rows[0] ? toProfile(rows[0]) : null;
}

/** Profiles by user id; ids without a profile are absent from the map. */
export async function getProfilesByIds(db: SqlQueryable, ids: readonly string[]): Promise<Map<string, Profile>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<Row>(`${select} WHERE u.user_id = ANY($1::text[])`, [[...new Set(ids)]]);
  return new Map(rows.map((r) => [r.user_id, toProfile(r)]));
}
