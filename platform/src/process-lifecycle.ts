import { ConfigError } from './config.ts';

/**
 * Runs a service's start function; on SIGINT/SIGTERM runs its stop function once, and a second
 * signal exits at once. A configuration error prints just its message, not a stack.
 */
export function runService(start: () => Promise<() => Promise<void>>): void {
  start().then(
    (stop) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) process.exit(1);
        stopping = true;
        console.log(`${signal}: shutting down`);
        stop().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error('shutdown failed', error);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    },
    (error: unknown) => {
      console.error(error instanceof ConfigError ? error.message : error);
      process.exit(1);
    },
  );
}
