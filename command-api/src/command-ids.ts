import type { Response } from 'express';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';

/** Where the ids of one append's events come from. */
export interface EventIds {
  /**
   * True when the ids are derived from the request's Idempotency-Key: the same on every run of
   * the command, so a re-run can recognise what an earlier run appended.
   */
  readonly derived: boolean;
  id(index: number): string;
}

/** Ids a command needs: for the entity it creates and for the events it appends. */
export interface CommandIds {
  /** Id of the entity the command creates (a user, a tweet): uuid v7, time-ordered. */
  readonly entityId: string;
  /** Ids for the events of one append of the command; `step` names the append within the command. */
  eventIds(step: string): EventIds;
}

export const freshEventIds: EventIds = { derived: false, id: () => uuidv7() };

/** Namespace of Chirp's derived event ids (uuid v5); any fixed uuid works, it only must never change. */
const EVENT_ID_NAMESPACE = '5b7f2d0e-6c1a-4e43-9a57-2f0c8e9d4b11';

/**
 * Ids for a command run under an Idempotency-Key. The entity id is the key's seed: a uuid v7 the
 * idempotency store made on the key's first use and hands to every later run of it. Event ids are
 * uuid v5 of (scope, key, seed, step, index). So a re-run (the client retrying after a 5xx, or
 * after our process died mid-command) targets the same streams with the same event ids, and
 * finds what an earlier run appended instead of appending it again. The seed is part of the name
 * so that a key reused after its retention ran out is a new command, not a replay of the old one.
 */
export function keyedCommandIds(scope: string, key: string, seed: string): CommandIds {
  return {
    entityId: seed,
    eventIds: (step) => ({
      derived: true,
      id: (index) => uuidv5(JSON.stringify([scope, key, seed, step, index]), EVENT_ID_NAMESPACE),
    }),
  };
}

function freshCommandIds(): CommandIds {
  return { entityId: uuidv7(), eventIds: () => freshEventIds };
}

/** The request's ids: keyed ones set by the idempotency middleware, or fresh ones (kept for the request). */
export function commandIdsOf(res: Response): CommandIds {
  res.locals.commandIds ??= freshCommandIds();
  return res.locals.commandIds as CommandIds;
}

export function setCommandIds(res: Response, ids: CommandIds): void {
  res.locals.commandIds = ids;
}
