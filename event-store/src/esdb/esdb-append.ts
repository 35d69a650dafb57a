import type { NewEvent } from '@chirp/domain/envelope';
import { DuplicateEventError, satisfiesExpected, WrongExpectedRevisionError, type AppendResult, type ExpectedRevision } from '../port.ts';
import type { EsdbConnection } from './esdb-client.ts';
import { fromEsdbCurrentRevision, positionToNumber, toEsdbEvent, toEsdbExpectedRevision } from './esdb-mapping.ts';

/**
 * The append on EventStoreDB: argument checks, one `appendToStream`, and the mapping of its
 * outcome onto the port. What EventStoreDB cannot do — refuse an event id that exists already —
 * is described in docs/event-store.md ("EventStoreDB", "Duplicate event ids").
 */
export async function appendToEsdb(
  connection: EsdbConnection,
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  if (typeof streamId !== 'string' || streamId === '') throw new TypeError('streamId must be a non-empty string');
  if (streamId.startsWith('$')) throw new TypeError(`streamId must not start with '$' (reserved for EventStoreDB), got ${streamId}`);
  const esdbExpected = toEsdbExpectedRevision(expected);
  if (events.length === 0) return emptyAppend(connection, streamId, expected);

  // An id twice in one batch: the SQL adapter's unique index refuses it; EventStoreDB would store both.
  const seen = new Set<string>();
  for (const event of events) {
    const id = String(event.eventId).toLowerCase();
    if (seen.has(id)) throw new DuplicateEventError(event.eventId);
    seen.add(id);
  }
  const data = events.map(toEsdbEvent);

  const outcome = await connection.append(streamId, data, esdbExpected);
  if (outcome.kind === 'wrong_revision') {
    throw new WrongExpectedRevisionError(streamId, expected, fromEsdbCurrentRevision(outcome.actual));
  }
  const nextRevision = fromEsdbCurrentRevision(outcome.nextRevision);
  // The append's reported position is the position of a one-event write's event. For several
  // events, read the last one back rather than trust which of them the reported position names
  // (the port promises the LAST event's position, and a wrong token would make readers wait).
  if (events.length === 1 && outcome.position !== undefined) return { position: positionToNumber(outcome.position), nextRevision };
  const [last] = await connection.readStream(streamId, nextRevision, 1);
  if (last?.position === undefined) throw new Error(`could not read back the position of ${streamId}@${nextRevision} (EventStoreDB 22.6 or newer is required)`);
  return { position: positionToNumber(last.position), nextRevision };
}

/** Writes nothing; checks the expectation against the stream's current state, as the SQL adapter does. */
async function emptyAppend(connection: EsdbConnection, streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
  const last = await connection.readStreamLast(streamId);
  const actual = last === undefined ? -1 : fromEsdbCurrentRevision(last.revision);
  if (!satisfiesExpected(expected, actual)) throw new WrongExpectedRevisionError(streamId, expected, actual);
  return { position: last?.position === undefined ? 0 : positionToNumber(last.position), nextRevision: actual };
}
