import type { SqlExecutor, SqlQueryable } from '@chirp/event-store';

/**
 * A failure to inject into the work on one stream (named by prefix: 'user-', 'handle-'), for
 * failures a healthy database cannot be made to produce on cue:
 * - 'commit': the append commits, then reports a failure (the answer to COMMIT was lost);
 * - 'inside': the append fails inside its transaction, which rolls back: nothing is written;
 * - 'read': a read of the stream outside a transaction fails.
 */
export interface Fault {
  stream: string;
  at: 'commit' | 'inside' | 'read';
  /** Let this many matching operations through first; default 0. */
  skip?: number;
  /** Fail this many matching operations; default 1. */
  times?: number;
  error?: () => unknown;
}

/** What the store turns into WrongExpectedRevisionError: another writer created the stream row first. */
export const streamRowConflict = () => Object.assign(new Error('injected: duplicate key'), { code: '23505', constraint: 'chirp_streams_pkey' });

/**
 * A real executor with faults switched on by the test. Every query still runs against the real
 * database; a fault only adds a failure at one point. `faults` is read live, so a test arms it
 * by pushing to the array.
 */
export function faultyExecutor(real: SqlExecutor, faults: Fault[]): SqlExecutor {
  const streamOf = (params?: readonly unknown[]) => (typeof params?.[0] === 'string' ? params[0] : '');
  function trip(at: Fault['at'], stream: string): void {
    const fault = faults.find((f) => f.at === at && stream.startsWith(f.stream) && (f.times ?? 1) > 0);
    if (!fault) return;
    if ((fault.skip ?? 0) > 0) {
      fault.skip = (fault.skip ?? 0) - 1;
      return;
    }
    fault.times = (fault.times ?? 1) - 1;
    throw fault.error?.() ?? new Error(`injected: ${at} failure on ${stream}`);
  }
  return {
    engine: real.engine,
    listen: (channel, onNotify) => real.listen(channel, onNotify),
    close: () => real.close(),
    async query(text, params) {
      trip('read', streamOf(params));
      return real.query(text, params);
    },
    async transaction(fn) {
      let stream: string | undefined;
      const result = await real.transaction(async (tx) => {
        const watched: SqlQueryable = {
          async query(text, params) {
            if (stream === undefined) {
              stream = streamOf(params); // an append's first statement locks its stream's row
              trip('inside', stream);
            }
            return tx.query(text, params);
          },
        };
        return fn(watched);
      });
      if (stream !== undefined) trip('commit', stream);
      return result;
    },
  } as SqlExecutor;
}
