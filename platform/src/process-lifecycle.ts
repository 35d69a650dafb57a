import { ConfigError } from './config.ts';

/** What a service's start function uses to make start-up and shutdown orderly. */
export interface Lifecycle {
  /**
   * Runs one start-up step; if it fails, the service stops with one line naming the step and the
   * cause (`cannot open the database (PostgreSQL …): connect ECONNREFUSED …`), not a stack.
   */
  step<T>(what: string, run: () => T | Promise<T>): Promise<T>;
  /** Registers how to undo what has started; shutdown (and a failed start-up) runs these newest first. */
  onStop(stop: () => Promise<void>): void;
  /** Lets shutdown take this long (e.g. the HTTP grace period plus closing the database) before giving up; default 30 s. */
  stopWithin(ms: number): void;
}

class StepError extends Error {}

/**
 * A signal that arrives this soon after the first is the same request: `tsx` relays the signal a
 * process group already received, and a terminal's Ctrl+C reaches npm, tsx and node alike.
 */
const DUPLICATE_SIGNAL_MS = 1000;
/** A shutdown that takes longer than this (unless the service asked for more) is stuck: give up and exit 1. */
const SHUTDOWN_LIMIT_MS = 30_000;

/**
 * Runs a service: on SIGINT/SIGTERM it stops what was started, newest first, and exits 0 (1 if a
 * stop step failed); a later second signal exits at once. A failed start-up stops what had
 * started (so no lock, connection or projector is left behind) and exits 1 with one line.
 */
export function runService(name: string, start: (life: Lifecycle) => Promise<void>): void {
  const stops: Array<() => Promise<void>> = [];
  let shutdownLimitMs = SHUTDOWN_LIMIT_MS;
  const life: Lifecycle = {
    async step(what, run) {
      try {
        return await run();
      } catch (error) {
        if (error instanceof ConfigError || error instanceof StepError) throw error;
        throw new StepError(`${what}: ${describeError(error)}`);
      }
    },
    onStop: (stop) => void stops.push(stop),
    stopWithin: (ms) => void (shutdownLimitMs = Math.max(SHUTDOWN_LIMIT_MS, ms)),
  };

  const stopAll = async (): Promise<boolean> => {
    let clean = true;
    while (stops.length > 0) {
      try {
        await stops.pop()!();
      } catch (error) {
        clean = false;
        console.error(`${name}: while stopping: ${describeError(error)}`);
      }
    }
    return clean;
  };

  const started = start(life);
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
      console.error(`${name}: ${signal} again: exiting without finishing the shutdown`);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    console.log(`${name}: ${signal}: shutting down`);
    setTimeout(() => {
      console.error(`${name}: shutdown took longer than ${shutdownLimitMs / 1000} s: exiting`);
      process.exit(1);
    }, shutdownLimitMs).unref();
    // A signal during start-up waits for it to finish (or fail), then stops what it started.
    void started
      .catch(() => {})
      .then(stopAll)
      .then((clean) => {
        console.log(`${name}: stopped`);
        process.exit(clean ? 0 : 1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  started.catch(async (error: unknown) => {
    if (firstSignalAt !== undefined) return; // shutting down anyway
    console.error(error instanceof ConfigError || error instanceof StepError ? `${name}: ${error.message}` : `${name}: cannot start: ${describeError(error)}`);
    await stopAll();
    process.exit(1);
  });
}

/** One line for any error: its message, or for an AggregateError (e.g. every address refused) its parts'. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return [...new Set(error.errors.map(describeError))].join('; ');
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return (error.message || code || error.name).split('\n')[0]!;
  }
  return String(error);
}
