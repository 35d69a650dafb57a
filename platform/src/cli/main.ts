import { Command } from 'commander';
import type { CliContext } from './cli-context.ts';
import { EXIT_INTERRUPTED, reportError } from './cli-errors.ts';
import { registerEventsExport } from './events-export-command.ts';
import { registerEventsTail } from './events-tail-command.ts';
import { registerProjectionsList } from './projections-list-command.ts';
import { registerProjectionsReplay } from './projections-replay-command.ts';
import { registerProjectionsStatus } from './projections-status-command.ts';

/** After Ctrl+C, how long a command may take to reach a safe point and close the database. */
const INTERRUPT_GRACE_MS = 3000;

/**
 * `chirp`: the operator and analyst CLI. Each command lives in its own file and registers itself
 * on its group; this file wires them up, turns Ctrl+C into a stop at the next safe point, and
 * turns every failure into one line and an exit code (cli-errors.ts).
 */
function buildProgram(context: CliContext): Command {
  const program = new Command('chirp')
    .description('Chirp operator and analyst CLI (uses CHIRP_DATABASE_URL, else the embedded database in CHIRP_DATA_DIR)')
    // Commander would call process.exit itself, mid-command and with the database open; throwing
    // lets main close things and pick the exit code.
    .exitOverride()
    .configureOutput({ writeOut: (s) => void context.stdout.write(s), writeErr: (s) => void context.stderr.write(s) });
  // Settings given above are copied to subcommands created with .command(), so register below.
  const events = program.command('events').description('the event log');
  registerEventsExport(events, context);
  registerEventsTail(events, context);
  const projections = program.command('projections').description('projections (read models) and their checkpoints');
  registerProjectionsList(projections, context);
  registerProjectionsStatus(projections, context);
  registerProjectionsReplay(projections, context);
  return program;
}

function interruptOnSignals(): AbortSignal {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED); // asked twice: stop now
    controller.abort();
    // A command stuck where it does not look at the signal (connecting, say) must not hold the terminal.
    setTimeout(() => process.exit(EXIT_INTERRUPTED), INTERRUPT_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

const context: CliContext = { stdout: process.stdout, stderr: process.stderr, env: process.env, interrupt: interruptOnSignals() };
try {
  await buildProgram(context).parseAsync(process.argv);
} catch (error) {
  // exitCode, not exit(): stdout may still hold NDJSON on its way into a pipe.
  process.exitCode = reportError(error, context.stderr, context.env);
}
