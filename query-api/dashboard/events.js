// The event catalogue as the dashboard knows it (domain/src/events.ts), and how an event is shown.

/** Every event type in domain/src/events.ts, in its order. Unknown types still show (with a neutral colour). */
export const EVENT_TYPES = [
  'HandleReserved',
  'HandleReleased',
  'UserRegistered',
  'ProfileUpdated',
  'TweetPosted',
  'TweetDeleted',
  'Retweeted',
  'RetweetUndone',
  'TweetLiked',
  'TweetUnliked',
  'Followed',
  'Unfollowed',
  'TrendHidden',
  'TrendShown',
];

/** The CSS class that colours a type (dashboard.css: .t-<Type>); `t-other` for types this page does not know. */
export function typeClass(type) {
  return EVENT_TYPES.includes(type) ? `t-${type}` : 't-other';
}

/**
 * An id cut short for the screen: its last 8 characters. Chirp's ids are UUIDv7, whose first
 * characters are a timestamp, the same for every id made in the same minute; the end is random.
 * The full id is in the title and in the envelope.
 */
export function shortId(id) {
  const s = String(id ?? '');
  return s.length > 12 ? `…${s.slice(-8)}` : s;
}

function quote(text, max = 120) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return `“${chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat}”`;
}

/** A stream id with each UUID in it cut short (shortId): `engagement-…9e1f03ab-…77c2d410`. */
export function shortStream(streamId) {
  return String(streamId).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (uuid) => shortId(uuid));
}

/** A link to a stream inside a summary: what it shows and which stream it opens. */
const user = (id) => ({ stream: `user-${id}`, label: `user ${shortId(id)}`, title: `Open the stream of user ${id}` });
const tweet = (id) => ({ stream: `tweet-${id}`, label: `tweet ${shortId(id)}`, title: `Open the stream of tweet ${id}` });

/** Template literal → [text | link, …]: the values that are links stay links. */
function parts(strings, ...values) {
  const out = [];
  strings.forEach((text, i) => {
    if (text) out.push(text);
    if (i < values.length) out.push(values[i] !== null && typeof values[i] === 'object' ? values[i] : String(values[i]));
  });
  return out;
}

/** A one-line account of an event's data, as text and links to the streams it names. */
export function summaryParts(event) {
  const d = event.data ?? {};
  switch (event.type) {
    case 'UserRegistered':
      return parts`@${d.handle} registered as ${quote(d.displayName ?? '', 40)} (${user(d.userId)})`;
    case 'HandleReserved':
      return parts`@${d.handle} reserved for ${user(d.userId)}`;
    case 'HandleReleased':
      return parts`@${d.handle} released by ${user(d.userId)}`;
    case 'ProfileUpdated': {
      const changes = [];
      if (d.displayName !== undefined) changes.push(`name ${quote(d.displayName, 40)}`);
      if (d.bio !== undefined) changes.push(`bio ${quote(d.bio, 60)}`);
      return parts`${user(d.userId)}: ${changes.join(', ') || 'no change'}`;
    }
    case 'TweetPosted':
      return d.replyToTweetId ? parts`${user(d.authorId)} replied to ${tweet(d.replyToTweetId)}: ${quote(d.text ?? '')}` : parts`${user(d.authorId)}: ${quote(d.text ?? '')}`;
    case 'TweetDeleted':
      return parts`${tweet(d.tweetId)} deleted by its author ${user(d.authorId)}`;
    case 'Retweeted':
    case 'RetweetUndone':
    case 'TweetLiked':
    case 'TweetUnliked': {
      const verb = { Retweeted: 'retweeted', RetweetUndone: 'undid a retweet of', TweetLiked: 'liked', TweetUnliked: 'unliked' }[event.type];
      return parts`${user(d.userId)} ${verb} ${tweet(d.tweetId)} of ${user(d.authorId)}`;
    }
    case 'Followed':
      return parts`${user(d.followerId)} follows ${user(d.followeeId)}`;
    case 'Unfollowed':
      return parts`${user(d.followerId)} unfollowed ${user(d.followeeId)}`;
    case 'TrendHidden':
      return parts`#${d.tag} hidden from trends by ${user(d.operatorId)}`;
    case 'TrendShown':
      return parts`#${d.tag} shown in trends again by ${user(d.operatorId)}`;
    default: {
      const json = JSON.stringify(d);
      return [json.length > 140 ? `${json.slice(0, 139)}…` : json];
    }
  }
}

/** The summary as plain text. */
export function summarize(event) {
  return summaryParts(event)
    .map((p) => (typeof p === 'string' ? p : p.label))
    .join('');
}

/**
 * The envelope as pretty JSON. A password hash is a secret even hashed: it is never put on screen
 * (it is in the log, which is where an operator with database access would look).
 */
export function prettyEnvelope(event) {
  return JSON.stringify(event, (key, value) => (key === 'passwordHash' && typeof value === 'string' ? '(hidden)' : value), 2);
}

/** "14:03:07" in local time; the full ISO time goes into the element's title/datetime. */
export function clockTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? '');
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}
