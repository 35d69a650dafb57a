import type { Decider } from './decider.ts';
import { DomainError } from './errors.ts';
import { Hashtag, type EventOf } from './events.ts';

/**
 * Whether a hashtag is hidden from trends (`trend-<tag>`), by an operator. An event, not a
 * setting: a replay of the trends projection hides the same tags at the same points in time.
 * Hiding a hidden tag or showing a shown one decides no event.
 */
export interface TrendState {
  hidden: boolean;
}

export type TrendCommand = { type: 'HideTrend' | 'ShowTrend'; tag: string; operatorId: string };

type TrendEvent = EventOf<'TrendHidden'> | EventOf<'TrendShown'>;

export const trendDecider: Decider<TrendState, TrendCommand, TrendEvent> = {
  initialState: { hidden: false },
  decide(state, command) {
    if (!Hashtag.safeParse(command.tag).success) return new DomainError('InvalidTag', 'invalid', 'not a hashtag (lower-case, without #)');
    const data = { tag: command.tag, operatorId: command.operatorId };
    if (command.type === 'HideTrend') return state.hidden ? [] : [{ type: 'TrendHidden', data }];
    return state.hidden ? [{ type: 'TrendShown', data }] : [];
  },
  evolve(state, event) {
    switch (event.type) {
      case 'TrendHidden':
        return { hidden: true };
      case 'TrendShown':
        return { hidden: false };
      default:
        return state;
    }
  },
};
