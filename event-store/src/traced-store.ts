import type { NewEvent } from '@chirp/domain/envelope';
import { inSpan, instruments, SpanKind } from '@chirp/telemetry';
import { DuplicateEventError, WrongExpectedRevisionError, type AppendResult, type EventStore, type ExpectedRevision } from './port.ts';

/**
 * An event store whose appends are traced (a client span per append, child of the command's
 * request span) and timed (`chirp.eventstore.append.duration` by outcome). Reads pass through
 * untouched: they are many and cheap, and the projectors' batch spans already cover theirs.
 */
export function tracedEventStore(store: EventStore): EventStore {
  return {
    append: (streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> =>
      inSpan('eventstore.append', { kind: SpanKind.CLIENT, attributes: { 'chirp.stream': streamId, 'chirp.events': events.length } }, async (span) => {
        const started = performance.now();
        let outcome = 'failed';
        try {
          const result = await store.append(streamId, events, expected);
          outcome = 'ok';
          span.setAttribute('chirp.position', result.position);
          return result;
        } catch (error) {
          if (error instanceof WrongExpectedRevisionError) outcome = 'conflict';
          else if (error instanceof DuplicateEventError) outcome = 'duplicate';
          throw error;
        } finally {
          instruments().appendDuration.record((performance.now() - started) / 1000, { outcome });
        }
      }),
    readStream: (streamId, options) => store.readStream(streamId, options),
    readAll: (from, limit) => store.readAll(from, limit),
    readLatest: (limit) => store.readLatest(limit),
    subscribe: (from, options) => store.subscribe(from, options),
    headPosition: () => store.headPosition(),
    countAfter: (position, cap) => store.countAfter(position, cap),
    close: () => store.close(),
  };
}
