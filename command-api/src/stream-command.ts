import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError, parseEvent, schemaVersions, type ChirpEvent, type EventMetadata } from '@chirp/domain';
import type { StoredEvent } from '@chirp/domain/envelope';
import { DuplicateEventError, WrongExpectedRevisionError, type EventStore } from '@chirp/event-store';
import { ProblemError, type ErrorLog } from '@chirp/http-kit';
import { instruments } from '@chirp/telemetry';
import { freshEventIds, type EventIds } from './command-ids.ts';

/** A stream's history as a decider sees it, plus what an append needs to stay consistent. */
export interface LoadedStream {
  events: ChirpEvent[];
  /** The same events as stored (ids, positions). */
  stored: StoredEvent[];
  /** Revision of the last event, -1 when the stream does not exist. */
  revision: number;
  /** Position of the last event, 0 when the stream does not exist. */
  lastPosition: number;
}

export async function loadStream(store: EventStore, streamId: string): Promise<LoadedStream> {
  const stored = await store.readStream(streamId);
  const last = stored.at(-1);
  return {
    events: stored.map((e) => parseEvent(e.type, e.data)),
    stored,
    revision: last ? last.streamRevision : -1,
    lastPosition: last ? last.position : 0,
  };
}

export interface CommandOutcome {
  events: ChirpEvent[];
  /** Consistency token: the last appended event's position, or the stream's last position for a no-op. */
  position: number;
}

export interface CommandDeps {
  store: EventStore;
  clock: () => Date;
  log: ErrorLog;
}

export interface StreamCommand {
  /** The domain command's name (PostTweet, Follow…): the `command` label of the commands metric. */
  command: string;
  streamId: string;
  decide(history: LoadedStream): Promise<ChirpEvent[] | DomainError> | ChirpEvent[] | DomainError;
  metadata: EventMetadata;
  /** Ids of the appended events; fresh unless the command runs under an Idempotency-Key. */
  eventIds?: EventIds;
  /**
   * The stream is new as far as this command knows: its id was just made by the server (the
   * entity id of a command that creates something). The first attempt then skips the read: it
   * decides over an empty history and appends with 'no_stream'. Only if that is refused — the
   * stream exists after all, typically because an earlier run of the same Idempotency-Key created
   * it — or the decision is not an append, does the command take the load → decide path.
   */
  expectNewStream?: boolean;
}

/** Tries per command; a conflict means another writer appended to the stream in between. */
const MAX_ATTEMPTS = 6;
const BACKOFF_BASE_MS = 5;
const BACKOFF_CAP_MS = 160;

/**
 * Load → decide → append with the loaded revision as the expectation. A concurrent writer makes
 * the append fail; the command is then decided again on the fresh history after a short random
 * pause (so writers that collided do not collide again in lockstep), and only a writer that keeps
 * winning turns into 409.
 *
 * With derived event ids (an Idempotency-Key), a re-run converges: if the stream already holds
 * the events this command appends, that earlier append is the outcome, and nothing is appended
 * again. A command that creates its stream (`expectNewStream`) first tries the append without the
 * load; a re-run's attempt is refused as a duplicate and it converges the same way.
 */
export async function runStreamCommand(deps: CommandDeps, command: StreamCommand): Promise<CommandOutcome> {
  try {
    const outcome = await decideAndAppend(deps, command);
    countCommand(command.command, outcome.events.length > 0 ? 'accepted' : 'unchanged');
    return outcome;
  } catch (error) {
    countCommand(command.command, outcomeOf(error));
    throw error;
  }
}

function countCommand(command: string, outcome: string): void {
  instruments().commands.add(1, { command, outcome });
}

/** A failed command's `outcome` label: refused by the domain, lost to concurrent writers, or broken. */
function outcomeOf(error: unknown): string {
  if (!(error instanceof ProblemError)) return 'failed';
  if (error.status === 409 && error.extras.code === 'ConcurrencyConflict') return 'conflict';
  return error.status < 500 ? 'rejected' : 'failed';
}

async function decideAndAppend(deps: CommandDeps, command: StreamCommand): Promise<CommandOutcome> {
  const { streamId, metadata } = command;
  const eventIds = command.eventIds ?? freshEventIds;
  if (command.expectNewStream) {
    const created = await appendToNewStream(deps, command, eventIds);
    if (created) return created;
  }
  for (let attempt = 1; ; attempt++) {
    const history = await loadStream(deps.store, streamId);
    const earlier = appendedBefore(history, eventIds);
    if (earlier) return earlier;
    const decision = await command.decide(history);
    if (decision instanceof DomainError) throw domainProblem(decision);
    if (decision.length === 0) return { events: [], position: history.lastPosition };
    try {
      const expected = history.revision < 0 ? 'no_stream' : history.revision;
      const events = decision.map((e, index) => envelope(e, eventIds.id(index), metadata, deps.clock));
      const { position } = await deps.store.append(streamId, events, expected);
      return { events: decision, position };
    } catch (error) {
      // Another run of the same keyed command appended between our read and our append (the
      // store checks event ids before revisions, so this is what such a race reports).
      if (error instanceof DuplicateEventError && eventIds.derived) {
        const found = appendedBefore(await loadStream(deps.store, streamId), eventIds);
        if (found) return found;
      }
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= MAX_ATTEMPTS)
        throw new ProblemError(409, 'the resource was changed concurrently; retry the request', { code: 'ConcurrencyConflict' });
      await sleep(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
    }
  }
}

const EMPTY_STREAM: LoadedStream = { events: [], stored: [], revision: -1, lastPosition: 0 };

/**
 * The optimistic first attempt for a stream expected to be new: one append, no read. Undefined
 * when the regular path must decide instead: the stream exists (WrongExpectedRevisionError), this
 * command's events are in the log already (DuplicateEventError: a re-run of a keyed command, which
 * the regular path answers from the stream), or the decision over the empty history was a refusal
 * or a no-op, which could be owed to the assumption.
 */
async function appendToNewStream(deps: CommandDeps, command: StreamCommand, eventIds: EventIds): Promise<CommandOutcome | undefined> {
  const decision = await command.decide(EMPTY_STREAM);
  if (decision instanceof DomainError || decision.length === 0) return undefined;
  const events = decision.map((e, index) => envelope(e, eventIds.id(index), command.metadata, deps.clock));
  try {
    const { position } = await deps.store.append(command.streamId, events, 'no_stream');
    return { events: decision, position };
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError || error instanceof DuplicateEventError) return undefined;
    throw error;
  }
}

/** The outcome of an earlier append of this command's events, if the stream holds them. */
function appendedBefore(history: LoadedStream, eventIds: EventIds): CommandOutcome | undefined {
  if (!eventIds.derived) return undefined;
  const start = history.stored.findIndex((e) => e.eventId === eventIds.id(0));
  if (start < 0) return undefined;
  let end = start + 1; // an append is atomic: its events are consecutive in the stream
  while (history.stored[end]?.eventId === eventIds.id(end - start)) end++;
  return { events: history.events.slice(start, end), position: history.stored[end - 1]!.position };
}

export function envelope(event: ChirpEvent, eventId: string, metadata: EventMetadata, clock: () => Date) {
  return {
    eventId,
    type: event.type,
    data: event.data,
    schemaVersion: schemaVersions[event.type],
    occurredAt: clock().toISOString(),
    metadata,
  };
}

const statusByKind = { conflict: 409, not_found: 404, forbidden: 403, invalid: 400 } as const;

export function domainProblem(error: DomainError): ProblemError {
  return new ProblemError(statusByKind[error.kind], error.message, { code: error.code });
}
