import type { Command } from 'commander';
import { allProjections } from '@chirp/projectors/read-models/index';
import { LAG_CAP, readProjectionStatuses, type ProjectionStatus } from '@chirp/projectors/status/reader';
import { openCliDatabase } from './cli-database.ts';
import type { CliContext } from './cli-context.ts';
import { CliFailure, UsageError } from './cli-errors.ts';
import { renderTable } from './text-table.ts';

/** How much of a failure's message fits a table cell; `--json` has all of it. */
const ERROR_CELL_LENGTH = 60;

/**
 * `chirp projections status [name]`: each projection's checkpoint row with its lag, read the way
 * the query API's `/v1/projections` reads it (`readProjectionStatuses`), but unredacted: whoever
 * can open the database can read the error text anyway.
 */
export function registerProjectionsStatus(projections: Command, context: CliContext): void {
  projections
    .command('status')
    .description('position, lag, rate, state and last error of each projection (from its checkpoint)')
    .argument('[name]', 'only this projection')
    .option('--json', 'print JSON ({headPosition, items, withoutCheckpoint}) instead of a table')
    .action(async (name: string | undefined, options: { json?: boolean }) => {
      const db = await openCliDatabase(context.env);
      try {
        const items = await readProjectionStatuses(db.executor, db.store, name === undefined ? undefined : [name]);
        const headPosition = await db.store.headPosition();
        if (name !== undefined && items.length === 0) throw missingCheckpoint(name);
        // Projections this code defines whose projector has never run here: an empty table would
        // otherwise look like "everything is fine" on a database nobody has projected yet.
        const withoutCheckpoint = name === undefined ? allProjections.map((p) => p.name).filter((n) => !items.some((s) => s.name === n)) : [];
        context.stdout.write(
          options.json ? `${JSON.stringify({ headPosition, items, withoutCheckpoint }, null, 2)}\n` : statusText(headPosition, items, withoutCheckpoint),
        );
      } finally {
        await db.close();
      }
    });
}

function missingCheckpoint(name: string): Error {
  const defined = allProjections.map((p) => p.name);
  if (!defined.includes(name)) return new UsageError(`unknown projection ${name}; projections: ${defined.join(', ')}`);
  return new CliFailure(`projection ${name} has no checkpoint yet: its projector has never run on this database`);
}

function statusText(headPosition: number, items: readonly ProjectionStatus[], withoutCheckpoint: readonly string[]): string {
  const table = renderTable(
    [
      { header: 'NAME' },
      { header: 'VERSION', alignRight: true },
      { header: 'STATE' },
      { header: 'POSITION', alignRight: true },
      { header: 'LAG', alignRight: true },
      { header: 'BEHIND', alignRight: true },
      { header: 'EVENTS/S', alignRight: true },
      { header: 'LAST ERROR' },
    ],
    items.map((s) => [
      s.name,
      String(s.version),
      s.state,
      String(s.position),
      s.lagEvents >= LAG_CAP ? `≥${LAG_CAP}` : String(s.lagEvents),
      s.lagSeconds === null ? '?' : `${s.lagSeconds.toFixed(1)}s`,
      s.eventsPerSecond.toFixed(1),
      errorCell(s),
    ]),
  );
  const missing = withoutCheckpoint.length > 0 ? `no checkpoint yet: ${withoutCheckpoint.join(', ')}\n` : '';
  return `head position ${headPosition}\n${table}${missing}`;
}

/** "apply at 123: first line of the message…", or "-" for a projection without a failure. */
function errorCell(s: ProjectionStatus): string {
  if (s.lastError === null) return '-';
  const where = `${s.errorKind ?? 'error'}${s.errorPosition === null ? '' : ` at ${s.errorPosition}`}`;
  const firstLine = s.lastError.split('\n')[0]!;
  const text = firstLine.length > ERROR_CELL_LENGTH ? `${firstLine.slice(0, ERROR_CELL_LENGTH - 1)}…` : firstLine;
  return `${where}: ${text}`;
}
