import { CommanderError } from 'commander';
import { describeError } from '../process-lifecycle.ts';

/**
 * Exit codes, as shell scripts around the CLI rely on them: 2 means "you asked for something
 * that cannot be" (bad option, unknown event type or projection) and retrying will not help;
 * 1 means the request was fine but could not be carried out (database unreachable or locked).
 */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad input the user can fix: reported in one line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A request that cannot be carried out for a reason the message explains: one line, exit 1. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
}

/**
 * Reports an error that ended a command and returns the exit code. Operators get one line, never
 * a stack (a stack says "bug" when the cause is a locked directory or a typo); CHIRP_DEBUG=1
 * prints the stack too, for when it is a bug.
 */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr, env: NodeJS.ProcessEnv = process.env): number {
  // Commander has printed its own message already (unknown option, missing or invalid argument);
  // help and --version arrive here too, as "errors" with exit code 0.
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  stderr.write(`chirp: ${describeError(error)}\n`);
  if (env.CHIRP_DEBUG === '1' && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  if (error instanceof Interrupted) return EXIT_INTERRUPTED;
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}

/** Ctrl+C (or SIGTERM) ended a command early; 130 is the shell's code for "ended by SIGINT". */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor() {
    super('interrupted');
  }
}
export const EXIT_INTERRUPTED = 130;
