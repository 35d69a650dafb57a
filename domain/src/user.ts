import type { Decider } from './decider.ts';
import { DomainError } from './errors.ts';
import type { EventOf } from './events.ts';

/** A user's stream (`user-<id>`): registration and profile. Follows have streams of their own (follow.ts). */
export type UserState =
  | { status: 'none' }
  | {
      status: 'registered';
      userId: string;
      handle: string;
      displayName: string;
      bio: string;
      passwordHash: string;
    };

export type UserCommand =
  | { type: 'RegisterUser'; userId: string; handle: string; displayName: string; passwordHash: string }
  | { type: 'UpdateProfile'; userId: string; displayName?: string; bio?: string };

type UserEvent = EventOf<'UserRegistered'> | EventOf<'ProfileUpdated'>;

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: { status: 'none' },
  decide(state, command) {
    switch (command.type) {
      case 'RegisterUser': {
        if (state.status === 'registered') return new DomainError('UserExists', 'conflict', 'user already registered');
        const { userId, handle, displayName, passwordHash } = command;
        return [{ type: 'UserRegistered', data: { userId, handle, displayName, passwordHash } }];
      }
      case 'UpdateProfile': {
        if (state.status !== 'registered') return new DomainError('UserNotFound', 'not_found', 'user not found');
        const data: EventOf<'ProfileUpdated'>['data'] = { userId: state.userId };
        if (command.displayName !== undefined && command.displayName !== state.displayName) data.displayName = command.displayName;
        if (command.bio !== undefined && command.bio !== state.bio) data.bio = command.bio;
        // Nothing changes: no event, so a repeated PATCH does not grow the log.
        if (data.displayName === undefined && data.bio === undefined) return [];
        return [{ type: 'ProfileUpdated', data }];
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'UserRegistered':
        return { status: 'registered', ...event.data, bio: '' };
      case 'ProfileUpdated':
        if (state.status !== 'registered') return state;
        return {
          ...state,
          displayName: event.data.displayName ?? state.displayName,
          bio: event.data.bio ?? state.bio,
        };
      default:
        return state;
    }
  },
};
