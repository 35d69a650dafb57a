/**
 * Hashtags and mentions are extracted once, when a tweet is decided, and stored in the event,
 * so every read model and every replay sees the same tags.
 */

// A tag starts after a non-word character (or the start) so "a#b" and e-mail addresses do not count.
const hashtagPattern = /(?<![\p{L}\p{N}_&])#([\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*)/gu;
const mentionPattern = /(?<![\p{L}\p{N}_@.])@([A-Za-z0-9_]{3,20})(?![A-Za-z0-9_])/gu;

/** Unique, lower-cased hashtags without '#', in order of first appearance. */
export function extractHashtags(text: string): string[] {
  return unique([...text.matchAll(hashtagPattern)].map((m) => (m[1] ?? '').toLowerCase()));
}

/** Unique, lower-cased handles without '@', in order of first appearance. */
export function extractMentions(text: string): string[] {
  return unique([...text.matchAll(mentionPattern)].map((m) => (m[1] ?? '').toLowerCase()));
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v.length > 0))];
}
