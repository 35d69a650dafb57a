import type { SqlExecutor } from '@chirp/event-store';
import { APPEND_FUNCTION, type AppendOutcome } from '@chirp/event-store/sql/append-function';

/**
 * A failure to inject into the work on one stream (named by prefix: 'user-', 'handle-'), for
 * failures a healthy database cannot be made to produce on cue. An append is one statement (the
 * store's append function), so:
 * - 'commit': the append is written and committed, then reports a failure (its answer was lost);
 * - 'inside': the append fails before anything is written;
 * - 'conflict': the append function answers that the stream is not at the expected revision (what
 *   a writer that lost a race hears); nothing is written;
 * - 'read': a read of the stream fails.
 */
export interface Fault {
  stream: string;
  at: 'commit' | 'inside' | 'conflict' | 'read';
  /** Let this many matching operations through first; default 0. */
  skip?: number;
  /** Fail this many matching operations; default 1. */
  times?: number;
  error?: () => unknown;
}

/** The append function's answer to a writer that lost a race: the stream is at revision 0. */
const conflictAnswer = {
  rows: [{ outcome: 'wrong_revision' satisfies AppendOutcome, last_position: null, current_revision: 0, duplicate_event_id: null }],
  rowCount: 1,
};

/**
 * A real executor with faults switched on by the test. Every query still runs against the real
 * database; a fault only adds a failure at one point. `faults` is read live, so a test arms it
 * by pushing to the array.
 */
export function faultyExecutor(real: SqlExecutor, faults: Fault[]): SqlExecutor {
  /** The fault due now at this point of this stream's work, if any (counted as used). */
  function due(at: Fault['at'], stream: string): Fault | undefined {
    const fault = faults.find((f) => f.at === at && stream.startsWith(f.stream) && (f.times ?? 1) > 0);
    if (!fault) return undefined;
    if ((fault.skip ?? 0) > 0) {
      fault.skip = (fault.skip ?? 0) - 1;
      return undefined;
    }
    fault.times = (fault.times ?? 1) - 1;
    return fault;
  }
  const failure = (fault: Fault, stream: string) => fault.error?.() ?? new Error(`injected: ${fault.at} failure on ${stream}`);
  return {
    engine: real.engine,
    listen: (channel, onNotify) => real.listen(channel, onNotify),
    close: () => real.close(),
    transaction: (fn) => real.transaction(fn),
    async query(text, params) {
      const stream = typeof params?.[0] === 'string' ? params[0] : '';
      if (!text.includes(APPEND_FUNCTION)) {
        const read = due('read', stream);
        if (read) throw failure(read, stream);
        return real.query(text, params);
      }
      const inside = due('inside', stream);
      if (inside) throw failure(inside, stream);
      if (due('conflict', stream)) return conflictAnswer;
      const result = await real.query(text, params);
      const commit = due('commit', stream);
      if (commit) throw failure(commit, stream);
      return result;
    },
  } as SqlExecutor;
}
