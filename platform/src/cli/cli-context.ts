import type { Writable } from 'node:stream';

/**
 * What a command gets from the process that runs it, instead of reaching for `process` itself:
 * the streams it writes to, the environment its configuration comes from, and the signal that
 * Ctrl+C raises (a command stops at its next safe point and closes the database, so an embedded
 * data directory is never left half-written or locked).
 */
export interface CliContext {
  stdout: Writable;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  interrupt: AbortSignal;
}
