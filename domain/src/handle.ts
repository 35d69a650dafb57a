import type { Decider } from './decider.ts';
import { DomainError } from './errors.ts';
import type { EventOf } from './events.ts';

/**
 * A handle is reserved in its own stream (`handle-<lowercase>`), appended with an expect-no-stream
 * check, so two registrations racing for one handle cannot both win — whatever the store.
 */
export type HandleState = { status: 'free' } | { status: 'reserved'; userId: string };

export type HandleCommand =
  | { type: 'ReserveHandle'; handle: string; userId: string }
  | { type: 'ReleaseHandle'; handle: string; userId: string };

type HandleEvent = EventOf<'HandleReserved'> | EventOf<'HandleReleased'>;

export const handleDecider: Decider<HandleState, HandleCommand, HandleEvent> = {
  initialState: { status: 'free' },
  decide(state, command) {
    switch (command.type) {
      case 'ReserveHandle':
        // Reserved for this very user already: a re-run of the same registration (user ids are
        // new per registration, and reused only when an Idempotency-Key retries it).
        if (state.status === 'reserved' && state.userId === command.userId) return [];
        if (state.status === 'reserved') return new DomainError('HandleTaken', 'conflict', `handle ${command.handle} is taken`);
        return [{ type: 'HandleReserved', data: { handle: command.handle, userId: command.userId } }];
      case 'ReleaseHandle':
        if (state.status !== 'reserved' || state.userId !== command.userId) return [];
        return [{ type: 'HandleReleased', data: { handle: command.handle, userId: command.userId } }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'HandleReserved':
        return { status: 'reserved', userId: event.data.userId };
      case 'HandleReleased':
        return { status: 'free' };
      default:
        return state;
    }
  },
};
