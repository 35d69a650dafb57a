import type { Command } from 'commander';
import { ReplayInProgressError } from '@chirp/projectors/replay/replay-projection';
import { Progress } from '../progress.ts';
import { replayableProjectionNames, replayPlatformProjection } from '../projection-replay.ts';
import { loadCliConfig, openCliDatabase } from './cli-database.ts';
import type { CliContext } from './cli-context.ts';
import { CliFailure, UsageError } from './cli-errors.ts';
import { positiveIntegerAtMost } from './option-parsers.ts';

/**
 * `chirp projections replay <name>`: rebuilds a projection from position 0 beside the live one
 * and switches to it atomically (projectors/src/replay/replay-projection.ts); the query API keeps
 * serving the old tables until the switch. Works while the services run (on PostgreSQL; PGlite
 * serves one process, so there with `npm start` stopped).
 */
export function registerProjectionsReplay(projections: Command, context: CliContext): void {
  projections
    .command('replay')
    .description('rebuild a projection from position 0 beside the live one, then switch to it atomically')
    .argument('<name>', 'the projection (see `chirp projections list`)')
    .option('--force', 'discard the leftovers of an interrupted replay first')
    .option('--batch-size <n>', 'events per shadow transaction (1–50000; default 10000)', positiveIntegerAtMost(50_000))
    .action(async (name: string, options: { force?: boolean; batchSize?: number }) => {
      const config = loadCliConfig(context.env);
      const names = replayableProjectionNames();
      if (!names.includes(name)) throw new UsageError(`unknown projection ${name}; projections: ${names.join(', ')}`);
      const db = await openCliDatabase(context.env);
      try {
        const total = await db.store.countAfter(0, Number.MAX_SAFE_INTEGER);
        const progress = new Progress(`replay ${name}`, total, 'events', context.stderr);
        let shown = 0;
        const result = await replayPlatformProjection(db, config, name, {
          ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
          force: options.force ?? false,
          onProgress: (applied) => {
            if (context.interrupt.aborted) throw new CliFailure(`replay of ${name} interrupted; the live projection is unchanged`);
            progress.tick(Math.min(applied, total) - shown);
            shown = Math.min(applied, total);
          },
        });
        progress.finish();
        context.stdout.write(
          `replayed ${result.projection} (version ${result.version}): ${result.events} events in ${result.seconds.toFixed(1)} s ` +
            `(${Math.round(result.events / Math.max(result.seconds, 0.001))} events/s); live from position ${result.position}\n`,
        );
      } catch (error) {
        if (error instanceof ReplayInProgressError) throw new CliFailure(error.message);
        throw error;
      } finally {
        await db.close();
      }
    });
}
