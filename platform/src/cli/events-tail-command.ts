import type { Command } from 'commander';
import type { StoredEvent } from '@chirp/domain/envelope';
import { selectsEvent } from '@chirp/domain/event-selection';
import type { EventType } from '@chirp/domain/events';
import type { EventStore } from '@chirp/event-store/port';
import { BackpressuredOutput, OutputClosedError } from './backpressured-output.ts';
import { openCliDatabase } from './cli-database.ts';
import type { CliContext } from './cli-context.ts';
import { exportRecord } from './export-record.ts';
import { collectEventTypes, parsePosition, parseStreamId } from './option-parsers.ts';

interface TailOptions {
  fromPosition?: number;
  type?: EventType[];
  stream?: string;
  user?: string;
  json?: boolean;
}

/**
 * `chirp events tail`: the live event stream in a terminal — from the newest event on (or from a
 * position), filtered by type, stream or acting user, until Ctrl+C, which is how it is meant to
 * end (exit 0). One line per event; `--json` prints the envelopes as NDJSON instead.
 */
export function registerEventsTail(events: Command, context: CliContext): void {
  events
    .command('tail')
    .description('follow the event log live: a line per event as it is appended, until Ctrl+C')
    .option('--from-position <n>', 'start at this position (inclusive) instead of after the newest event', parsePosition)
    .option('--type <type...>', 'only events of these types (repeat or comma-separate)', collectEventTypes)
    .option('--stream <id>', 'only the events of this stream, e.g. user-<id> or tweet-<id>', parseStreamId)
    .option('--user <id>', 'only events of commands this user issued (metadata.actorUserId)', parseStreamId)
    .option('--json', 'print each event as a JSON envelope (NDJSON) instead of a line of text')
    .action(async (options: TailOptions) => {
      const db = await openCliDatabase(context.env);
      try {
        await tail(db.store, options, context);
      } finally {
        await db.close();
      }
    });
}

async function tail(store: EventStore, options: TailOptions, context: CliContext): Promise<void> {
  const after = options.fromPosition === undefined ? await store.headPosition() : Math.max(0, options.fromPosition - 1);
  const wanted = selectsEvent({
    ...(options.type ? { types: new Set<string>(options.type) } : {}),
    ...(options.stream ? { streamId: options.stream } : {}),
    ...(options.user ? { actorUserId: options.user } : {}),
  });
  const subscription = store.subscribe(after);
  // The subscription waits for the next append; Ctrl+C must end that wait, not just the loop.
  const stop = () => void subscription.close();
  context.interrupt.addEventListener('abort', stop, { once: true });
  const output = new BackpressuredOutput(context.stdout);
  try {
    if (!options.json) context.stderr.write(`following events after position ${after} (Ctrl+C to stop)\n`);
    for await (const batch of subscription) {
      const lines = batch.filter(wanted).map(options.json ? exportRecord : textLine);
      if (lines.length > 0) await output.write(`${lines.join('\n')}\n`);
      if (context.interrupt.aborted) break;
    }
  } catch (error) {
    // `| head`: the reader has what it wanted.
    if (!(error instanceof OutputClosedError)) throw error;
  } finally {
    context.interrupt.removeEventListener('abort', stop);
    await subscription.close();
    output.release();
  }
}

/** position, time, type, stream, payload: what an operator scans for. */
function textLine(event: StoredEvent): string {
  return `${event.position}  ${event.occurredAt}  ${event.type.padEnd(16)}  ${event.streamId}  ${JSON.stringify(event.data)}`;
}
