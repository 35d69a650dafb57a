import { z } from 'zod';

/**
 * The event catalogue. Every event's payload is a zod schema; its TypeScript type is inferred
 * from the schema, so the stored shape and the compiled shape cannot drift apart.
 * Payloads carry ids, never denormalised data that could go stale (handles are the exception
 * on UserRegistered, because the handle is the user's identity at registration time).
 */

export const Uuid = z.uuid();

/**
 * Free text a user types. JSON can carry a lone surrogate (`"\ud800"`) or a NUL (`"\u0000"`);
 * PostgreSQL's jsonb refuses both, so without this check such input would fail at the append
 * (a 500) instead of being refused as what it is: invalid input (a 400 naming the field).
 */
export const UserText = z
  .string()
  .refine((t) => t.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')
  .refine((t) => !t.includes('\u0000'), 'must not contain NUL characters');

export const Handle = z
  .string()
  .min(3)
  .max(20)
  .regex(/^[A-Za-z0-9_]+$/, 'letters, digits and underscores only');
export const DisplayName = UserText.trim().min(1).max(50);
export const Bio = UserText.max(160);
export const TweetText = UserText
  .refine((t) => t.trim().length > 0, 'must not be empty')
  .refine((t) => [...t].length <= 280, 'at most 280 characters');

export const HandleReserved = z.object({ handle: Handle, userId: Uuid });
export const HandleReleased = z.object({ handle: Handle, userId: Uuid });
export const UserRegistered = z.object({
  userId: Uuid,
  handle: Handle,
  displayName: DisplayName,
  /** scrypt hash, `scrypt$N$r$p$salt$hash`; never served by the query side. */
  passwordHash: z.string().min(1),
});
export const ProfileUpdated = z.object({
  userId: Uuid,
  displayName: DisplayName.optional(),
  bio: Bio.optional(),
});
export const TweetPosted = z.object({
  tweetId: Uuid,
  authorId: Uuid,
  text: TweetText,
  replyToTweetId: Uuid.optional(),
  hashtags: z.array(z.string()),
  mentions: z.array(z.string()),
});
export const TweetDeleted = z.object({ tweetId: Uuid, authorId: Uuid });
export const Retweeted = z.object({ tweetId: Uuid, authorId: Uuid, userId: Uuid });
export const RetweetUndone = z.object({ tweetId: Uuid, authorId: Uuid, userId: Uuid });
export const TweetLiked = z.object({ tweetId: Uuid, authorId: Uuid, userId: Uuid });
export const TweetUnliked = z.object({ tweetId: Uuid, authorId: Uuid, userId: Uuid });
export const Followed = z.object({ followerId: Uuid, followeeId: Uuid });
export const Unfollowed = z.object({ followerId: Uuid, followeeId: Uuid });
/** A hashtag as `extractHashtags` gives it: lower-case, without '#'. */
export const Hashtag = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\p{Ll}\p{Lo}\p{Lm}\p{N}_]*[\p{Ll}\p{Lo}\p{Lm}_][\p{Ll}\p{Lo}\p{Lm}\p{N}_]*$/u, 'must be a lower-case hashtag without #');
/** An operator took a hashtag out of trends (it still counts; it is not shown), or put it back. */
export const TrendHidden = z.object({ tag: Hashtag, operatorId: Uuid });
export const TrendShown = z.object({ tag: Hashtag, operatorId: Uuid });

export const eventSchemas = {
  HandleReserved,
  HandleReleased,
  UserRegistered,
  ProfileUpdated,
  TweetPosted,
  TweetDeleted,
  Retweeted,
  RetweetUndone,
  TweetLiked,
  TweetUnliked,
  Followed,
  Unfollowed,
  TrendHidden,
  TrendShown,
} as const;

export type EventType = keyof typeof eventSchemas;
export const eventTypes = Object.keys(eventSchemas) as EventType[];

/** A domain event: its type tag and its payload. */
export type ChirpEvent = {
  [K in EventType]: { type: K; data: z.infer<(typeof eventSchemas)[K]> };
}[EventType];

export type EventOf<K extends EventType> = Extract<ChirpEvent, { type: K }>;

/** Current schema version of each event type; bumped when a payload changes shape. */
export const schemaVersions: Record<EventType, number> = Object.fromEntries(
  eventTypes.map((t) => [t, 1]),
) as Record<EventType, number>;

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventSchemas, type);
}

export class UnknownEventError extends Error {
  constructor(readonly eventType: string) {
    super(`unknown event type ${eventType}`);
  }
}

/** Validates an event read from storage; unknown types and bad payloads are errors, not skips. */
export function parseEvent(type: string, data: unknown): ChirpEvent {
  if (!isEventType(type)) throw new UnknownEventError(type);
  return { type, data: eventSchemas[type].parse(data) } as ChirpEvent;
}
