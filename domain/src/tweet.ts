import type { Decider } from './decider.ts';
import { DomainError } from './errors.ts';
import type { EventOf } from './events.ts';
import { extractHashtags, extractMentions } from './text.ts';

/** A tweet's stream (`tweet-<id>`): it is posted once and may be deleted once, by its author. */
export type TweetState =
  | { status: 'none' }
  | { status: 'posted'; tweetId: string; authorId: string }
  | { status: 'deleted'; tweetId: string; authorId: string };

export type TweetCommand =
  | {
      type: 'PostTweet';
      tweetId: string;
      authorId: string;
      text: string;
      replyToTweetId?: string;
      /** Whether the replied-to tweet exists and is not deleted; looked up by the caller. */
      replyTargetExists?: boolean;
    }
  | { type: 'DeleteTweet'; tweetId: string; actorUserId: string };

type TweetEvent = EventOf<'TweetPosted'> | EventOf<'TweetDeleted'>;

export const tweetNotFound = () => new DomainError('TweetNotFound', 'not_found', 'tweet not found');

export const tweetDecider: Decider<TweetState, TweetCommand, TweetEvent> = {
  initialState: { status: 'none' },
  decide(state, command) {
    switch (command.type) {
      case 'PostTweet': {
        if (state.status !== 'none') return new DomainError('TweetExists', 'conflict', 'tweet already exists');
        if (command.replyToTweetId !== undefined && !command.replyTargetExists)
          return new DomainError('ReplyTargetNotFound', 'not_found', 'the tweet replied to does not exist');
        const { tweetId, authorId, text } = command;
        const data: EventOf<'TweetPosted'>['data'] = {
          tweetId,
          authorId,
          text,
          hashtags: extractHashtags(text),
          mentions: extractMentions(text),
        };
        if (command.replyToTweetId !== undefined) data.replyToTweetId = command.replyToTweetId;
        return [{ type: 'TweetPosted', data }];
      }
      case 'DeleteTweet':
        if (state.status === 'none' || state.status === 'deleted') return tweetNotFound();
        if (state.authorId !== command.actorUserId)
          return new DomainError('NotTweetAuthor', 'forbidden', 'only the author can delete a tweet');
        return [{ type: 'TweetDeleted', data: { tweetId: state.tweetId, authorId: state.authorId } }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'TweetPosted':
        return { status: 'posted', tweetId: event.data.tweetId, authorId: event.data.authorId };
      case 'TweetDeleted':
        return state.status === 'none' ? state : { ...state, status: 'deleted' };
      default:
        return state;
    }
  },
};
