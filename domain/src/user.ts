import type { Decider } from './decider.ts';
import { DomainError } from './errors.ts';
import type { EventOf } from './events.ts';

/** A user's stream (`user-<id>`): registration, profile, and whom the user follows. */
export type UserState =
  | { status: 'none' }
  | {
      status: 'registered';
      userId: string;
      handle: string;
      displayName: string;
      bio: string;
      passwordHash: string;
      following: ReadonlySet<string>;
    };

export type UserCommand =
  | { type: 'RegisterUser'; userId: string; handle: string; displayName: string; passwordHash: string }
  | { type: 'UpdateProfile'; userId: string; displayName?: string; bio?: string }
  /** `followeeExists` is looked up by the caller (another stream); the domain stays pure. */
  | { type: 'Follow'; followerId: string; followeeId: string; followeeExists: boolean }
  | { type: 'Unfollow'; followerId: string; followeeId: string };

type UserEvent = EventOf<'UserRegistered'> | EventOf<'ProfileUpdated'> | EventOf<'Followed'> | EventOf<'Unfollowed'>;

const userNotFound = () => new DomainError('UserNotFound', 'not_found', 'user not found');

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: { status: 'none' },
  decide(state, command) {
    if (command.type === 'RegisterUser') {
      if (state.status === 'registered') return new DomainError('UserExists', 'conflict', 'user already registered');
      const { userId, handle, displayName, passwordHash } = command;
      return [{ type: 'UserRegistered', data: { userId, handle, displayName, passwordHash } }];
    }
    if (state.status !== 'registered') return userNotFound();
    switch (command.type) {
      case 'UpdateProfile': {
        const data: EventOf<'ProfileUpdated'>['data'] = { userId: state.userId };
        if (command.displayName !== undefined && command.displayName !== state.displayName) data.displayName = command.displayName;
        if (command.bio !== undefined && command.bio !== state.bio) data.bio = command.bio;
        // Nothing changes: no event, so a repeated PATCH does not grow the log.
        if (data.displayName === undefined && data.bio === undefined) return [];
        return [{ type: 'ProfileUpdated', data }];
      }
      case 'Follow':
        if (command.followeeId === state.userId) return new DomainError('CannotFollowSelf', 'invalid', 'you cannot follow yourself');
        if (!command.followeeExists) return userNotFound();
        if (state.following.has(command.followeeId)) return [];
        return [{ type: 'Followed', data: { followerId: state.userId, followeeId: command.followeeId } }];
      case 'Unfollow':
        if (!state.following.has(command.followeeId)) return [];
        return [{ type: 'Unfollowed', data: { followerId: state.userId, followeeId: command.followeeId } }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'UserRegistered':
        return { status: 'registered', ...event.data, bio: '', following: new Set() };
      case 'ProfileUpdated':
        if (state.status !== 'registered') return state;
        return {
          ...state,
          displayName: event.data.displayName ?? state.displayName,
          bio: event.data.bio ?? state.bio,
        };
      case 'Followed':
        if (state.status !== 'registered') return state;
        return { ...state, following: new Set(state.following).add(event.data.followeeId) };
      case 'Unfollowed': {
        if (state.status !== 'registered') return state;
        const following = new Set(state.following);
        following.delete(event.data.followeeId);
        return { ...state, following };
      }
      default:
        return state;
    }
  },
};
