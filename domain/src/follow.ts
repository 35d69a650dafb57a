import type { Decider } from './decider.ts';
import { DomainError } from './errors.ts';
import type { EventOf } from './events.ts';

/**
 * Whether one user follows another (`follow-<followerId>-<followeeId>`). A stream per pair, not
 * the follower's own stream: one user following many people at once then appends to many small
 * streams that never conflict, instead of all racing for the revision of one hot stream.
 * Following twice or unfollowing someone not followed decides no event: the outcome the client
 * wants already holds.
 */
export interface FollowState {
  following: boolean;
}

export type FollowCommand =
  /** `followeeExists` is looked up by the caller (another stream); the domain stays pure. */
  | { type: 'Follow'; followerId: string; followeeId: string; followeeExists: boolean }
  | { type: 'Unfollow'; followerId: string; followeeId: string };

type FollowEvent = EventOf<'Followed'> | EventOf<'Unfollowed'>;

export const followDecider: Decider<FollowState, FollowCommand, FollowEvent> = {
  initialState: { following: false },
  decide(state, command) {
    const data = { followerId: command.followerId, followeeId: command.followeeId };
    switch (command.type) {
      case 'Follow':
        if (command.followerId === command.followeeId)
          return new DomainError('CannotFollowSelf', 'invalid', 'you cannot follow yourself');
        if (!command.followeeExists) return new DomainError('UserNotFound', 'not_found', 'user not found');
        return state.following ? [] : [{ type: 'Followed', data }];
      case 'Unfollow':
        return state.following ? [{ type: 'Unfollowed', data }] : [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Followed':
        return { following: true };
      case 'Unfollowed':
        return { following: false };
      default:
        return state;
    }
  },
};
