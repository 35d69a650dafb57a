import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DomainError,
  engagementDecider,
  fold,
  followDecider,
  handleDecider,
  parseEvent,
  trendDecider,
  tweetDecider,
  userDecider,
  type ChirpEvent,
  type EngagementContext,
  type FollowCommand,
  type UserState,
} from '../src/index.ts';

const alice = '0190a6c0-0000-7000-8000-000000000001';
const bob = '0190a6c0-0000-7000-8000-000000000002';
const tweetId = '0190a6c0-0000-7000-8000-0000000000aa';

function decided<E>(result: E[] | DomainError): E[] {
  if (result instanceof DomainError) throw new Error(`unexpected refusal ${result.code}`);
  return result;
}
function refused(result: unknown[] | DomainError): DomainError {
  if (!(result instanceof DomainError)) throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  return result;
}

const registeredAlice = (): UserState =>
  fold(userDecider, [
    { type: 'UserRegistered', data: { userId: alice, handle: 'alice', displayName: 'Alice', passwordHash: 'h' } },
  ]);

describe('handle reservation', () => {
  it('reserves a free handle and refuses a taken one', () => {
    const events = decided(handleDecider.decide(handleDecider.initialState, { type: 'ReserveHandle', handle: 'Alice', userId: alice }));
    expect(events).toEqual([{ type: 'HandleReserved', data: { handle: 'Alice', userId: alice } }]);
    const state = fold(handleDecider, events);
    expect(refused(handleDecider.decide(state, { type: 'ReserveHandle', handle: 'alice', userId: bob })).code).toBe('HandleTaken');
  });
  it('reserving a handle again for the user who holds it decides nothing (a retried registration)', () => {
    const state = fold(handleDecider, [{ type: 'HandleReserved', data: { handle: 'Alice', userId: alice } }]);
    expect(decided(handleDecider.decide(state, { type: 'ReserveHandle', handle: 'alice', userId: alice }))).toEqual([]);
  });
  it('a released handle can be reserved again; only its owner releases it', () => {
    const reserved = fold(handleDecider, [{ type: 'HandleReserved', data: { handle: 'a_b', userId: alice } }]);
    expect(decided(handleDecider.decide(reserved, { type: 'ReleaseHandle', handle: 'a_b', userId: bob }))).toEqual([]);
    const released = fold(handleDecider, [
      { type: 'HandleReserved', data: { handle: 'a_b', userId: alice } },
      { type: 'HandleReleased', data: { handle: 'a_b', userId: alice } },
    ]);
    expect(decided(handleDecider.decide(released, { type: 'ReserveHandle', handle: 'a_b', userId: bob }))).toHaveLength(1);
  });
});

describe('user', () => {
  it('registers once', () => {
    const cmd = { type: 'RegisterUser', userId: alice, handle: 'alice', displayName: 'Alice', passwordHash: 'h' } as const;
    expect(decided(userDecider.decide(userDecider.initialState, cmd))).toHaveLength(1);
    expect(refused(userDecider.decide(registeredAlice(), cmd)).code).toBe('UserExists');
  });
  it('a profile update with nothing new decides no event', () => {
    expect(decided(userDecider.decide(registeredAlice(), { type: 'UpdateProfile', userId: alice, displayName: 'Alice' }))).toEqual([]);
    expect(decided(userDecider.decide(registeredAlice(), { type: 'UpdateProfile', userId: alice, bio: 'hi' }))).toEqual([
      { type: 'ProfileUpdated', data: { userId: alice, bio: 'hi' } },
    ]);
  });
});

describe('follow', () => {
  const follow = { type: 'Follow', followerId: alice, followeeId: bob, followeeExists: true } as const;
  const unfollow = { type: 'Unfollow', followerId: alice, followeeId: bob } as const;
  it('nobody follows themselves', () => {
    const error = refused(followDecider.decide(followDecider.initialState, { ...follow, followeeId: alice }));
    expect(error).toMatchObject({ code: 'CannotFollowSelf', kind: 'invalid' });
  });
  it('cannot follow a user that does not exist', () => {
    expect(refused(followDecider.decide(followDecider.initialState, { ...follow, followeeExists: false })).kind).toBe('not_found');
  });
  it('following twice and unfollowing a non-followee decide no event', () => {
    const first = decided(followDecider.decide(followDecider.initialState, follow));
    expect(first).toEqual([{ type: 'Followed', data: { followerId: alice, followeeId: bob } }]);
    expect(decided(followDecider.decide(fold(followDecider, first), follow))).toEqual([]);
    expect(decided(followDecider.decide(followDecider.initialState, unfollow))).toEqual([]);
    expect(decided(followDecider.decide(fold(followDecider, first), unfollow))).toEqual([
      { type: 'Unfollowed', data: { followerId: alice, followeeId: bob } },
    ]);
  });
  it('decides an event exactly when the relation changes, whatever the sequence (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 40 }), (ops) => {
        let state = followDecider.initialState;
        let model = false;
        for (const wantFollow of ops) {
          const command: FollowCommand = wantFollow ? follow : unfollow;
          const events = decided(followDecider.decide(state, command));
          expect(events.length).toBe(wantFollow !== model ? 1 : 0);
          model = wantFollow;
          state = events.reduce(followDecider.evolve, state);
          expect(state.following).toBe(model);
        }
      }),
    );
  });
});

describe('trend', () => {
  const hide = { type: 'HideTrend', tag: 'spam', operatorId: alice } as const;
  const show = { type: 'ShowTrend', tag: 'spam', operatorId: alice } as const;
  it('hides and shows a tag; repeating either decides nothing', () => {
    const hidden = decided(trendDecider.decide(trendDecider.initialState, hide));
    expect(hidden).toEqual([{ type: 'TrendHidden', data: { tag: 'spam', operatorId: alice } }]);
    expect(decided(trendDecider.decide(fold(trendDecider, hidden), hide))).toEqual([]);
    expect(decided(trendDecider.decide(trendDecider.initialState, show))).toEqual([]);
    expect(decided(trendDecider.decide(fold(trendDecider, hidden), show))).toEqual([{ type: 'TrendShown', data: { tag: 'spam', operatorId: alice } }]);
  });
  it('refuses what is not a stored hashtag (upper case, a #, spaces)', () => {
    for (const tag of ['Spam', '#spam', 'two words', '', '123']) expect(refused(trendDecider.decide(trendDecider.initialState, { ...hide, tag })).kind).toBe('invalid');
    expect(decided(trendDecider.decide(trendDecider.initialState, { ...hide, tag: 'café_2026' }))).toHaveLength(1);
  });
});

describe('tweet', () => {
  const post = { type: 'PostTweet', tweetId, authorId: alice, text: 'Hello #World and #world, @Bob!' } as const;
  it('extracts hashtags and mentions', () => {
    const [event] = decided(tweetDecider.decide(tweetDecider.initialState, post));
    expect(event).toMatchObject({ type: 'TweetPosted', data: { hashtags: ['world'], mentions: ['bob'] } });
  });
  it('refuses a reply to a missing tweet', () => {
    const reply = { ...post, replyToTweetId: bob, replyTargetExists: false };
    expect(refused(tweetDecider.decide(tweetDecider.initialState, reply)).code).toBe('ReplyTargetNotFound');
  });
  it('only the author deletes, and only once', () => {
    const posted = fold(tweetDecider, decided(tweetDecider.decide(tweetDecider.initialState, post)));
    expect(refused(tweetDecider.decide(posted, { type: 'DeleteTweet', tweetId, actorUserId: bob })).kind).toBe('forbidden');
    const deleted = fold(tweetDecider, [
      ...decided(tweetDecider.decide(tweetDecider.initialState, post)),
      ...decided(tweetDecider.decide(posted, { type: 'DeleteTweet', tweetId, actorUserId: alice })),
    ]);
    expect(refused(tweetDecider.decide(deleted, { type: 'DeleteTweet', tweetId, actorUserId: alice })).kind).toBe('not_found');
  });
});

describe('engagement', () => {
  const posted: ChirpEvent = { type: 'TweetPosted', data: { tweetId, authorId: alice, text: 'x', hashtags: [], mentions: [] } };
  const ctx = (...events: ChirpEvent[]): EngagementContext => fold(engagementDecider, [posted, ...events]);
  const liked: ChirpEvent = { type: 'TweetLiked', data: { tweetId, authorId: alice, userId: bob } };
  it('one like per user per tweet; unliking what is not liked is a no-op', () => {
    expect(decided(engagementDecider.decide(ctx(), { type: 'Like', userId: bob }))).toEqual([liked]);
    expect(decided(engagementDecider.decide(ctx(liked), { type: 'Like', userId: bob }))).toEqual([]);
    expect(decided(engagementDecider.decide(ctx(), { type: 'Unlike', userId: bob }))).toEqual([]);
  });
  it('one retweet per user per tweet', () => {
    const [retweet] = decided(engagementDecider.decide(ctx(), { type: 'Retweet', userId: bob }));
    expect(retweet?.type).toBe('Retweeted');
    expect(decided(engagementDecider.decide(ctx(retweet!), { type: 'Retweet', userId: bob }))).toEqual([]);
    expect(decided(engagementDecider.decide(ctx(retweet!), { type: 'UndoRetweet', userId: bob }))[0]?.type).toBe('RetweetUndone');
  });
  it('a deleted tweet cannot be liked or retweeted, but a like can still be withdrawn', () => {
    const deleted: ChirpEvent = { type: 'TweetDeleted', data: { tweetId, authorId: alice } };
    expect(refused(engagementDecider.decide(ctx(deleted), { type: 'Like', userId: bob })).code).toBe('TweetDeleted');
    expect(refused(engagementDecider.decide(ctx(deleted), { type: 'Retweet', userId: bob })).code).toBe('TweetDeleted');
    expect(decided(engagementDecider.decide(ctx(liked, deleted), { type: 'Unlike', userId: bob }))).toHaveLength(1);
  });
  it('a missing tweet is not found', () => {
    expect(refused(engagementDecider.decide(engagementDecider.initialState, { type: 'Like', userId: bob })).kind).toBe('not_found');
  });
});

describe('event schemas', () => {
  it('parse what deciders produce and reject bad payloads', () => {
    expect(parseEvent('TweetPosted', posted()).type).toBe('TweetPosted');
    expect(() => parseEvent('TweetPosted', { ...posted(), text: 'x'.repeat(281) })).toThrow();
    expect(() => parseEvent('NoSuchEvent', {})).toThrow(/unknown event type/);
  });
  it('refuse text PostgreSQL cannot store: NUL and lone surrogates', () => {
    for (const text of ['a\u0000b', 'half \ud83d', '\udc26 tail']) {
      expect(() => parseEvent('TweetPosted', { ...posted(), text })).toThrow();
      expect(() => parseEvent('ProfileUpdated', { userId: alice, bio: text })).toThrow();
      expect(() => parseEvent('ProfileUpdated', { userId: alice, displayName: text })).toThrow();
    }
    expect(parseEvent('ProfileUpdated', { userId: alice, bio: 'a 🐦 is fine' }).type).toBe('ProfileUpdated');
  });
  it('count characters, not UTF-16 units: 280 emoji fit', () => {
    expect(parseEvent('TweetPosted', { ...posted(), text: '🐦'.repeat(280) }).type).toBe('TweetPosted');
  });
  function posted() {
    return { tweetId, authorId: alice, text: 'hi', hashtags: [], mentions: [] };
  }
});
