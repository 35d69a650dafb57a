import type { Decider } from './decider.ts';
import { DomainError } from './errors.ts';
import type { EventOf } from './events.ts';
import { tweetDecider, tweetNotFound, type TweetState } from './tweet.ts';

/**
 * One user's likes and retweets of one tweet (`engagement-<tweetId>-<userId>`). Repeating a like
 * or a retweet, or undoing one that is not there, decides no event: clients retry, and the
 * outcome they want already holds.
 */
export interface EngagementState {
  liked: boolean;
  retweeted: boolean;
}

export type EngagementCommand = { type: 'Like' | 'Unlike' | 'Retweet' | 'UndoRetweet'; userId: string };

/** The decider needs the tweet's own state too (exists? deleted?), read from the tweet's stream. */
export interface EngagementContext {
  tweet: TweetState;
  engagement: EngagementState;
}

type EngagementEvent = EventOf<'TweetLiked'> | EventOf<'TweetUnliked'> | EventOf<'Retweeted'> | EventOf<'RetweetUndone'>;

export const engagementDecider: Decider<EngagementContext, EngagementCommand, EngagementEvent> = {
  initialState: { tweet: { status: 'none' }, engagement: { liked: false, retweeted: false } },
  decide({ tweet, engagement }, command) {
    if (tweet.status === 'none') return tweetNotFound();
    const data = { tweetId: tweet.tweetId, authorId: tweet.authorId, userId: command.userId };
    const undoing = command.type === 'Unlike' || command.type === 'UndoRetweet';
    // Undoing is allowed after a delete (it only removes); adding to a deleted tweet is not.
    if (tweet.status === 'deleted' && !undoing)
      return new DomainError('TweetDeleted', 'conflict', 'the tweet was deleted');
    switch (command.type) {
      case 'Like':
        return engagement.liked ? [] : [{ type: 'TweetLiked', data }];
      case 'Unlike':
        return engagement.liked ? [{ type: 'TweetUnliked', data }] : [];
      case 'Retweet':
        return engagement.retweeted ? [] : [{ type: 'Retweeted', data }];
      case 'UndoRetweet':
        return engagement.retweeted ? [{ type: 'RetweetUndone', data }] : [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'TweetPosted':
      case 'TweetDeleted':
        return { ...state, tweet: tweetDecider.evolve(state.tweet, event) };
      case 'TweetLiked':
        return { ...state, engagement: { ...state.engagement, liked: true } };
      case 'TweetUnliked':
        return { ...state, engagement: { ...state.engagement, liked: false } };
      case 'Retweeted':
        return { ...state, engagement: { ...state.engagement, retweeted: true } };
      case 'RetweetUndone':
        return { ...state, engagement: { ...state.engagement, retweeted: false } };
      default:
        return state;
    }
  },
};
