import {
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  START,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type EventData,
  type JSONType,
  type Position,
  type ReadPosition,
  type RecordedEvent,
} from '@eventstore/db-client';
import type { EsdbCurrentRevision, EsdbEventData, EsdbExpectedRevision, EsdbPosition, EsdbReadStart, EsdbRecord } from './esdb-mapping.ts';

/**
 * EVERY call of `@eventstore/db-client` lives in this file, behind the narrow `EsdbConnection`.
 * The client is frozen; its successor `@kurrent/kurrentdb-client` renames `EventStoreDBClient`
 * to `KurrentDBClient` (no public constructor: `connectionString` only, as used here) and the
 * append's `expectedRevision` to `streamState` (same values). Moving is then a change of this
 * file only (docs/event-store.md, "EventStoreDB" → "Moving to @kurrent/kurrentdb-client").
 */

export type AppendOutcome =
  | { kind: 'appended'; nextRevision: bigint; position: EsdbPosition | undefined }
  | { kind: 'wrong_revision'; actual: EsdbCurrentRevision };

export interface LiveHandlers {
  onRecord(record: EsdbRecord): void;
  /** The subscription failed; `transient` when the connection dropped or the server is unreachable. */
  onError(error: Error, transient: boolean): void;
  /** The server ended the subscription without an error (not after `stop()`). */
  onEnd(): void;
}

export interface LiveSubscription {
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface EsdbConnection {
  append(streamId: string, events: readonly EsdbEventData[], expected: EsdbExpectedRevision): Promise<AppendOutcome>;
  /** A stream's events from a revision on, forwards; [] for a missing stream. */
  readStream(streamId: string, fromRevision: number, maxCount: number | undefined): Promise<EsdbRecord[]>;
  /** The stream's last event, or undefined for a missing stream. */
  readStreamLast(streamId: string): Promise<EsdbRecord | undefined>;
  /** $all forwards from `from` (inclusive), every record including system events. */
  readAllForward(from: EsdbReadStart, maxCount: number): Promise<EsdbRecord[]>;
  /** $all backwards from `from` (inclusive; 'end': the newest record), every record including system events. */
  readAllBackward(from: 'end' | EsdbPosition, maxCount: number): Promise<EsdbRecord[]>;
  /** Position of the newest record in $all (any type), undefined when the log has none. */
  readAllLastPosition(deadlineMs?: number): Promise<EsdbPosition | undefined>;
  /** Catch-up then live subscription to $all after `from`, system events filtered out by the server. */
  subscribeToAll(from: EsdbReadStart, handlers: LiveHandlers): LiveSubscription;
  close(): Promise<void>;
}

/** Connection-level failures: worth retrying (subscriptions) and reported as "unreachable" at start-up. */
export function isTransientEsdbError(error: unknown): boolean {
  return error instanceof UnavailableError || error instanceof DeadlineExceededError || error instanceof CancelledError;
}

/** Builds the client; it connects lazily, on the first call. */
export function openEsdbConnection(url: string): EsdbConnection {
  const client = EventStoreDBClient.connectionString(url);

  return {
    async append(streamId, events, expected) {
      const data = events.map(
        (e) =>
          ({
            id: e.id,
            contentType: 'application/json',
            type: e.type,
            // The client JSON.stringifies any value; its JSONType only narrows what TS accepts.
            data: e.data as JSONType,
            metadata: e.metadata,
          }) satisfies EventData,
      );
      try {
        const result = await client.appendToStream(streamId, data, { expectedRevision: expected satisfies AppendExpectedRevision });
        return { kind: 'appended', nextRevision: result.nextExpectedRevision, position: result.position && copyPosition(result.position) };
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) return { kind: 'wrong_revision', actual: error.actualVersion };
        throw error;
      }
    },

    async readStream(streamId, fromRevision, maxCount) {
      const out: EsdbRecord[] = [];
      try {
        const read = client.readStream(streamId, {
          direction: FORWARDS,
          fromRevision: BigInt(fromRevision),
          ...(maxCount === undefined ? {} : { maxCount }),
        });
        for await (const resolved of read) if (resolved.event) out.push(toRecord(resolved.event));
      } catch (error) {
        if (error instanceof StreamNotFoundError) return [];
        throw error;
      }
      return out;
    },

    async readStreamLast(streamId) {
      try {
        for await (const resolved of client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
          if (resolved.event) return toRecord(resolved.event);
        }
      } catch (error) {
        if (error instanceof StreamNotFoundError) return undefined;
        throw error;
      }
      return undefined;
    },

    async readAllForward(from, maxCount) {
      const out: EsdbRecord[] = [];
      for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: toReadPosition(from), maxCount, resolveLinkTos: false })) {
        if (resolved.event) out.push(toRecord(resolved.event));
      }
      return out;
    },

    async readAllBackward(from, maxCount) {
      const out: EsdbRecord[] = [];
      const fromPosition = from === 'end' ? END : { commit: from.commit, prepare: from.prepare };
      for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition, maxCount, resolveLinkTos: false })) {
        if (resolved.event) out.push(toRecord(resolved.event));
      }
      return out;
    },

    async readAllLastPosition(deadlineMs) {
      const read = client.readAll({
        direction: BACKWARDS,
        fromPosition: END,
        maxCount: 1,
        resolveLinkTos: false,
        ...(deadlineMs === undefined ? {} : { deadline: deadlineMs }),
      });
      for await (const resolved of read) if (resolved.event) return copyPosition(resolved.event.position);
      return undefined;
    },

    subscribeToAll(from, handlers) {
      let stopped = false;
      const subscription: AllStreamSubscription = client.subscribeToAll({
        fromPosition: toReadPosition(from),
        resolveLinkTos: false,
        filter: excludeSystemEvents(),
      });
      subscription.on('data', (resolved) => {
        if (!stopped && resolved.event) handlers.onRecord(toRecord(resolved.event));
      });
      subscription.on('error', (error) => {
        if (!stopped) handlers.onError(error, isTransientEsdbError(error));
      });
      subscription.on('end', () => {
        if (!stopped) handlers.onEnd();
      });
      return {
        pause: () => void subscription.pause(),
        resume: () => void subscription.resume(),
        async stop() {
          if (stopped) return;
          stopped = true;
          await subscription.unsubscribe().catch(() => {}); // already dead: nothing to stop
        },
      };
    },

    close: () => client.dispose(),
  };
}

function toReadPosition(from: EsdbReadStart): ReadPosition {
  return from === 'start' ? START : { commit: from.commit, prepare: from.prepare };
}

function copyPosition(position: Position): EsdbPosition {
  return { commit: position.commit, prepare: position.prepare };
}

function toRecord(event: RecordedEvent): EsdbRecord {
  return {
    streamId: event.streamId,
    id: event.id,
    revision: event.revision,
    type: event.type,
    isJson: event.isJson,
    data: event.data,
    metadata: event.metadata,
    position: event.position && copyPosition(event.position),
  };
}
