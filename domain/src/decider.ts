import type { ChirpEvent } from './events.ts';
import type { DomainError } from './errors.ts';

/**
 * The shape every aggregate follows: state is rebuilt by folding `evolve` over a stream's
 * history, and `decide` turns a command into new events or a refusal. Both are pure.
 */
export interface Decider<State, Command, Event extends ChirpEvent = ChirpEvent> {
  readonly initialState: State;
  decide(state: State, command: Command): Event[] | DomainError;
  evolve(state: State, event: ChirpEvent): State;
}

export function fold<State>(decider: Pick<Decider<State, never>, 'initialState' | 'evolve'>, events: Iterable<ChirpEvent>): State {
  let state = decider.initialState;
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
