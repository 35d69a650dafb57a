// How the dashboard shows an event. The list of event types is not here: the server sends the
// domain's (config.json, `eventTypes`). Here, by type: a one-line summary of its data, and (by the
// same key) its colour, dashboard.css's `.t-<Type>`. A type without a summary still shows, as its
// data in JSON and in the neutral colour `.t-other`.

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

/** A one-line account of each type's data (d), as text and links to the streams it names. */
const SUMMARIES = {
  UserRegistered: (d) => parts`@${d.handle} registered as ${quote(d.displayName ?? '', 40)} (${user(d.userId)})`,
  HandleReserved: (d) => parts`@${d.handle} reserved for ${user(d.userId)}`,
  HandleReleased: (d) => parts`@${d.handle} released by ${user(d.userId)}`,
  ProfileUpdated: (d) => {
    const changes = [];
    if (d.displayName !== undefined) changes.push(`name ${quote(d.displayName, 40)}`);
    if (d.bio !== undefined) changes.push(`bio ${quote(d.bio, 60)}`);
    return parts`${user(d.userId)}: ${changes.join(', ') || 'no change'}`;
  },
  TweetPosted: (d) =>
    d.replyToTweetId ? parts`${user(d.authorId)} replied to ${tweet(d.replyToTweetId)}: ${quote(d.text ?? '')}` : parts`${user(d.authorId)}: ${quote(d.text ?? '')}`,
  TweetDeleted: (d) => parts`${tweet(d.tweetId)} deleted by its author ${user(d.authorId)}`,
  Retweeted: (d) => parts`${user(d.userId)} retweeted ${tweet(d.tweetId)} of ${user(d.authorId)}`,
  RetweetUndone: (d) => parts`${user(d.userId)} undid a retweet of ${tweet(d.tweetId)} of ${user(d.authorId)}`,
  TweetLiked: (d) => parts`${user(d.userId)} liked ${tweet(d.tweetId)} of ${user(d.authorId)}`,
  TweetUnliked: (d) => parts`${user(d.userId)} unliked ${tweet(d.tweetId)} of ${user(d.authorId)}`,
  Followed: (d) => parts`${user(d.followerId)} follows ${user(d.followeeId)}`,
  Unfollowed: (d) => parts`${user(d.followerId)} unfollowed ${user(d.followeeId)}`,
  TrendHidden: (d) => parts`#${d.tag} hidden from trends by ${user(d.operatorId)}`,
  TrendShown: (d) => parts`#${d.tag} shown in trends again by ${user(d.operatorId)}`,
};

const known = (type) => Object.hasOwn(SUMMARIES, type);

/** The CSS class that colours a type (dashboard.css: .t-<Type>); `t-other` for a type this page has no summary for. */
export function typeClass(type) {
  return known(type) ? `t-${type}` : 't-other';
}

/** A one-line account of an event's data, as text and links to the streams it names; its JSON for a type without a summary. */
export function summaryParts(event) {
  const d = event.data ?? {};
  if (known(event.type)) return SUMMARIES[event.type](d);
  const json = JSON.stringify(d);
  return [json.length > 140 ? `${json.slice(0, 139)}…` : json];
}

/** The summary as plain text. */
export function summarize(event) {
  return summaryParts(event)
    .map((p) => (typeof p === 'string' ? p : p.label))
    .join('');
}

/** "14:03:07" in local time; the full ISO time goes into the element's title/datetime. */
export function clockTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? '');
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}
