import type { Command } from 'commander';
import type { EventType } from '@chirp/domain/events';
import type { EventStore } from '@chirp/event-store/port';
import { Progress } from '../progress.ts';
import { BackpressuredOutput, OutputClosedError } from './backpressured-output.ts';
import { openCliDatabase } from './cli-database.ts';
import type { CliContext } from './cli-context.ts';
import { Interrupted, UsageError } from './cli-errors.ts';
import { countToScan, exportPages, type ExportSelection } from './event-export.ts';
import { exportRecord } from './export-record.ts';
import { collectEventTypes, parsePosition, parseStreamId, positiveIntegerAtMost } from './option-parsers.ts';

/** Events per read: big enough that round trips do not dominate, small enough to stay a few MB. */
const DEFAULT_PAGE_SIZE = 1000;
const MAX_PAGE_SIZE = 10_000;

interface ExportOptions {
  fromPosition?: number;
  toPosition?: number;
  type?: EventType[];
  stream?: string;
  pageSize: number;
  progress?: boolean;
}

/** `chirp events export`: the event log as NDJSON on stdout. */
export function registerEventsExport(events: Command, context: CliContext): void {
  events
    .command('export')
    .description('write stored events as NDJSON (one envelope per line) to stdout, in position order')
    .option('--from-position <n>', 'first position to export (inclusive)', parsePosition)
    .option('--to-position <n>', 'last position to export (inclusive); default: the newest event when the export starts', parsePosition)
    .option('--type <type...>', 'only events of these types (repeat or comma-separate)', collectEventTypes)
    .option('--stream <id>', 'only the events of this stream, e.g. tweet-<id>', parseStreamId)
    .option('--page-size <n>', `events read per query (1-${MAX_PAGE_SIZE})`, positiveIntegerAtMost(MAX_PAGE_SIZE), DEFAULT_PAGE_SIZE)
    .option('--progress', 'show events/s and ETA on stderr (the default when stderr is a terminal)')
    .option('--no-progress', 'never show progress')
    .action(async (options: ExportOptions) => {
      const from = options.fromPosition ?? 0;
      if (options.toPosition !== undefined && options.toPosition < from)
        throw new UsageError(`--to-position ${options.toPosition} is before --from-position ${from}`);
      const db = await openCliDatabase(context.env);
      try {
        await writeExport(db.store, options, context);
      } finally {
        await db.close();
      }
    });
}

async function writeExport(store: EventStore, options: ExportOptions, context: CliContext): Promise<void> {
  const selection: ExportSelection = {
    fromPosition: options.fromPosition ?? 0,
    toPosition: options.toPosition ?? (await store.headPosition()),
    ...(options.type ? { types: options.type } : {}),
    ...(options.stream !== undefined ? { streamId: options.stream } : {}),
  };
  // Progress goes to stderr only, so stdout stays pure NDJSON even when both are shown together.
  const showProgress = options.progress ?? Boolean(context.stderr.isTTY);
  const total = showProgress ? await countToScan(store, selection) : undefined;
  const progress = total === undefined ? undefined : new Progress('exporting', total, 'events', context.stderr);
  const output = new BackpressuredOutput(context.stdout);
  try {
    for await (const page of exportPages(store, selection, options.pageSize)) {
      if (page.events.length > 0) await output.write(`${page.events.map(exportRecord).join('\n')}\n`);
      progress?.tick(page.scanned);
      if (context.interrupt.aborted) throw new Interrupted();
    }
    progress?.finish();
  } catch (error) {
    // The reader has all it wanted (`| head`); stopping is the success case there, as for `cat`.
    if (error instanceof OutputClosedError) return;
    throw error;
  } finally {
    output.release();
  }
}
