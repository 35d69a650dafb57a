import type { SqlQueryable } from '@chirp/event-store';
import { readCheckpoints } from '@chirp/projectors/checkpoints';

interface Waiter {
  names: readonly string[];
  position: number;
  timer: NodeJS.Timeout;
  settle(reached: boolean): void;
  fail(error: unknown): void;
}

export interface CheckpointWatcherOptions {
  /** Pause between polls while someone waits; default 15 ms. */
  intervalMs?: number;
}

/**
 * One poller per query-API instance for read-your-writes waits. However many requests wait, it
 * reads the checkpoint table once per interval — and only while someone waits — and wakes every
 * waiter whose projections have reached its position. (A poller per request would, under load,
 * flood the database with checkpoint reads; on PGlite's single connection that starves the
 * commands and projectors the readers are waiting for.)
 */
export class CheckpointWatcher {
  private readonly waiters = new Set<Waiter>();
  private readonly intervalMs: number;
  private polling = false;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  /** Checkpoint reads so far: lets tests and metrics see the polling rate. */
  polls = 0;

  constructor(
    private readonly db: SqlQueryable,
    options: CheckpointWatcherOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 15;
  }

  /**
   * Resolves true once every named projection has applied `position`, false if that has not
   * happened within `timeoutMs` (or the watcher closes first). Rejects if the checkpoints cannot be read.
   */
  waitFor(names: readonly string[], position: number, timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = {
        names,
        position,
        timer: setTimeout(() => waiter.settle(false), timeoutMs),
        settle: (reached) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(waiter.timer);
          resolve(reached);
        },
        fail: (error) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(waiter.timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
      this.startPolling();
    });
  }

  /** Answers every waiter "not reached" and stops polling: a shutting-down API answers at once. */
  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.settle(false);
    this.wakeUp?.();
  }

  private startPolling(): void {
    if (this.polling) return;
    this.polling = true;
    void this.poll().finally(() => {
      this.polling = false;
      // A waiter may have arrived while the last read was in flight and found polling still on.
      if (this.waiters.size > 0 && !this.closed) this.startPolling();
    });
  }

  private async poll(): Promise<void> {
    while (this.waiters.size > 0 && !this.closed) {
      const waiting = [...this.waiters];
      try {
        this.polls++;
        const rows = await readCheckpoints(this.db, [...new Set(waiting.flatMap((w) => w.names))]);
        const positions = new Map(rows.map((r) => [r.name, r.position]));
        for (const w of waiting) {
          // A projection without a checkpoint row has applied nothing yet.
          if (w.names.every((n) => (positions.get(n) ?? 0) >= w.position)) w.settle(true);
        }
      } catch (error) {
        for (const w of waiting) w.fail(error);
      }
      if (this.waiters.size === 0 || this.closed) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }
}
