import type { NewEvent, StoredEvent } from '@chirp/domain/envelope';

/**
 * What an append expects of the stream, exactly as EventStoreDB defines it:
 * - 'no_stream': the stream must not exist yet (used to reserve unique things such as handles);
 * - 'stream_exists': it must exist, at any revision;
 * - 'any': no check;
 * - a number: the revision of the stream's last event must be exactly this.
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** Whether a stream whose last event has revision `actual` (-1: no stream) satisfies `expected`. */
export function satisfiesExpected(expected: ExpectedRevision, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1;
    case 'stream_exists':
      return actual >= 0;
    default:
      return actual === expected;
  }
}

export interface AppendResult {
  /** Global position of the last appended event: the command's consistency token. */
  position: number;
  /** Revision of the stream's last event after the append. */
  nextRevision: number;
}

/** The stream was not at the expected revision. Upstream this is HTTP 409. */
export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event, or -1 when it does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${streamId} expected at ${String(expected)} but is at ${actual}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/** An event id was appended before: the append is a retry of one that already succeeded. */
export class DuplicateEventError extends Error {
  constructor(readonly eventId: string) {
    super(`event ${eventId} was already appended`);
    this.name = 'DuplicateEventError';
  }
}

/**
 * A stored event could not be read back as a valid envelope (a row written around the store, or
 * by a buggy older version). Reads that reach it throw this instead of handing out half an event;
 * it names where the event sits so an operator can find and repair it.
 */
export class CorruptEventError extends Error {
  constructor(
    /** Global position of the row, when that much could be read. */
    readonly position: number | null,
    readonly streamId: string | null,
    /** What is wrong, e.g. `metadata.correlationId: Invalid input: expected string, received undefined`. */
    readonly detail: string,
  ) {
    const where = position === null ? 'an event' : `the event at position ${position}`;
    super(`${where}${streamId === null ? '' : ` (stream ${streamId})`} is corrupt: ${detail}`);
    this.name = 'CorruptEventError';
  }
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive); default 0. */
  fromRevision?: number;
  limit?: number;
}

/** Catch-up then live delivery of the whole log, in batches, from a position (exclusive). */
export interface Subscription extends AsyncIterable<StoredEvent[]> {
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** Most events in one delivered batch; default 500. */
  batchSize?: number;
}

export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /**
   * A stream's events in revision order; [] for a stream that does not exist. Like every read, it
   * throws CorruptEventError on a stored event that is not a valid envelope, never skips it.
   */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  /** Events with position > fromPosition, in global order, at most `limit`. Never skips an event. */
  readAll(fromPosition: number, limit: number): Promise<StoredEvent[]>;
  /**
   * The newest `limit` readable events (at or below headPosition), in global order: the start of
   * a live tail, which should open on what just happened rather than on nothing.
   */
  readLatest(limit: number): Promise<StoredEvent[]>;
  subscribe(fromPosition: number, options?: SubscribeOptions): Subscription;
  /** Position of the newest event readers can see, 0 for an empty store. */
  headPosition(): Promise<number>;
  /** How many readable events lie after a position (lag), counting at most `cap`. */
  countAfter(position: number, cap: number): Promise<number>;
  close(): Promise<void>;
}
