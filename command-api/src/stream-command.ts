import { DomainError, parseEvent, schemaVersions, type ChirpEvent, type EventMetadata } from '@chirp/domain';
import { WrongExpectedRevisionError, type EventStore } from '@chirp/event-store';
import type { StoredEvent } from '@chirp/domain/envelope';
import { v7 as uuidv7 } from 'uuid';
import { ProblemError } from '@chirp/http-kit';

/** A stream's history as a decider sees it, plus what an append needs to stay consistent. */
export interface LoadedStream {
  events: ChirpEvent[];
  /** Revision of the last event, -1 when the stream does not exist. */
  revision: number;
  /** Position of the last event, 0 when the stream does not exist. */
  lastPosition: number;
}

export async function loadStream(store: EventStore, streamId: string): Promise<LoadedStream> {
  const stored = await store.readStream(streamId);
  const last: StoredEvent | undefined = stored.at(-1);
  return {
    events: stored.map((e) => parseEvent(e.type, e.data)),
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
}

/**
 * Load → decide → append with the loaded revision as the expectation. A concurrent writer makes
 * the append fail; the command is then decided again on the fresh history (a few times), and
 * only a writer that keeps winning turns into 409.
 */
export async function runStreamCommand(
  deps: CommandDeps,
  streamId: string,
  decide: (history: LoadedStream) => Promise<ChirpEvent[] | DomainError> | ChirpEvent[] | DomainError,
  metadata: EventMetadata,
  load: () => Promise<LoadedStream> = () => loadStream(deps.store, streamId),
): Promise<CommandOutcome> {
  const attempts = 4;
  for (let attempt = 1; ; attempt++) {
    const history = await load();
    const decision = await decide(history);
    if (decision instanceof DomainError) throw domainProblem(decision);
    if (decision.length === 0) return { events: [], position: history.lastPosition };
    try {
      const expected = history.revision < 0 ? 'no_stream' : history.revision;
      const { position } = await deps.store.append(streamId, decision.map((e) => envelope(e, metadata, deps.clock)), expected);
      return { events: decision, position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      if (attempt >= attempts)
        throw new ProblemError(409, 'the resource was changed concurrently; retry the request', { code: 'ConcurrencyConflict' });
    }
  }
}

export function envelope(event: ChirpEvent, metadata: EventMetadata, clock: () => Date) {
  return {
    eventId: uuidv7(),
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
