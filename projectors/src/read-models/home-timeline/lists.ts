import type { ListRef } from '@chirp/timeline-cache';
import { HOME_TIMELINE_VERSION } from './schema.ts';

/**
 * The cache lists of the home timeline. Their ids carry the model's version, so a version raise
 * (a rebuild of the SQL tables from position 0) starts from an empty cache instead of lists built
 * by the old code.
 */
export const homeList = (userId: string): ListRef => ({ kind: 'home', id: `${HOME_TIMELINE_VERSION}:${userId}` });
export const authorList = (userId: string): ListRef => ({ kind: 'author', id: `${HOME_TIMELINE_VERSION}:${userId}` });

/** Thresholds of the push/pull split, with hysteresis (docs/timelines.md). */
export interface CelebrityThresholds {
  /** An author with at least this many followers is a celebrity (CHIRP_CELEBRITY_THRESHOLD). */
  readonly enter: number;
  /** A celebrity is an ordinary author again below this many followers. */
  readonly exit: number;
}

/** Default exit: 90% of the threshold (at least 1), so an author hovering around it does not flap. */
export function celebrityThresholds(threshold: number, exit?: number): CelebrityThresholds {
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw new RangeError(`celebrityThreshold must be an integer >= 1, got ${threshold}`);
  const exitAt = exit ?? Math.max(1, Math.floor(threshold * 0.9));
  if (!Number.isSafeInteger(exitAt) || exitAt < 1 || exitAt > threshold) {
    throw new RangeError(`celebrityExitThreshold must be an integer from 1 to ${threshold}, got ${exitAt}`);
  }
  return { enter: threshold, exit: exitAt };
}

export interface AuthorCount {
  readonly followers: number;
  readonly celebrity: boolean;
}

/**
 * Walks an author's follower count through `deltas` (flips, in event order) under the threshold
 * with hysteresis, step by step as `moveFollowerCount` does per event, because with hysteresis the
 * end state depends on the path (up over `enter` and back into the band stays a celebrity; the net
 * move would not). Resolves to the end state and whether any step crossed.
 */
export function walkFollowerCount(start: AuthorCount, deltas: readonly number[], t: CelebrityThresholds): AuthorCount & { crossed: boolean } {
  let { followers, celebrity } = start;
  let crossed = false;
  for (const delta of deltas) {
    const raw = followers + delta;
    const next = raw >= t.enter ? true : raw < t.exit ? false : celebrity;
    crossed ||= next !== celebrity;
    celebrity = next;
    followers = Math.max(raw, 0);
  }
  return { followers, celebrity, crossed };
}
