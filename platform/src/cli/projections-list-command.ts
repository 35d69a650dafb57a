import type { Command } from 'commander';
import { readCheckpoints, type CheckpointRow } from '@chirp/projectors/checkpoints';
import { allProjections } from '@chirp/projectors/read-models/index';
import { openCliDatabase } from './cli-database.ts';
import type { CliContext } from './cli-context.ts';
import { renderTable } from './text-table.ts';

interface ListedProjection {
  name: string;
  /** The version this code defines; null for a checkpoint of a projection it no longer defines. */
  version: number | null;
  checkpoint: { version: number; position: number; state: CheckpointRow['state'] } | null;
}

/**
 * `chirp projections list`: the projections the platform defines (name, version) and whether each
 * has a checkpoint here yet. `allProjections` has the same names and versions as the services'
 * `createProjections` (only the home timeline's cache wiring differs) and needs no Redis to build.
 */
export function registerProjectionsList(projections: Command, context: CliContext): void {
  projections
    .command('list')
    .description('the projections this build defines, with their versions and checkpoints')
    .option('--json', 'print JSON ({items}) instead of a table')
    .action(async (options: { json?: boolean }) => {
      const db = await openCliDatabase(context.env);
      let rows: CheckpointRow[];
      try {
        rows = await readCheckpoints(db.executor);
      } finally {
        await db.close();
      }
      const items = listed(rows);
      context.stdout.write(options.json ? `${JSON.stringify({ items }, null, 2)}\n` : listText(items));
    });
}

function listed(rows: readonly CheckpointRow[]): ListedProjection[] {
  const checkpoint = (row: CheckpointRow | undefined) => (row ? { version: row.version, position: row.position, state: row.state } : null);
  const defined = allProjections.map((p) => ({ name: p.name, version: p.version, checkpoint: checkpoint(rows.find((r) => r.name === p.name)) }));
  // A checkpoint nobody defines any more (a renamed or retired read model) is worth seeing: its
  // tables are still there.
  const retired = rows.filter((r) => !allProjections.some((p) => p.name === r.name)).map((r) => ({ name: r.name, version: null, checkpoint: checkpoint(r) }));
  return [...defined, ...retired];
}

function listText(items: readonly ListedProjection[]): string {
  return renderTable(
    [{ header: 'NAME' }, { header: 'VERSION', alignRight: true }, { header: 'CHECKPOINT' }],
    items.map((p) => [p.name, p.version === null ? '-' : String(p.version), checkpointCell(p)]),
  );
}

/** What the projectors will do with this checkpoint when they next start, in words. */
function checkpointCell(p: ListedProjection): string {
  const c = p.checkpoint;
  if (!c) return 'none yet (built from position 0 when its projector first runs)';
  const at = `at position ${c.position}, ${c.state}`;
  if (p.version === null) return `${at} (version ${c.version}; not defined by this build)`;
  if (c.version < p.version) return `${at} (version ${c.version}: rebuilt from 0 when the projectors next start)`;
  if (c.version > p.version) return `${at} (version ${c.version} is newer than this build: its projectors refuse to start)`;
  return at;
}
