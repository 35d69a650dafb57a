import type { Config } from './config.ts';
import type { Database } from './database.ts';
import { replayableProjectionNames, replayPlatformProjection } from './projection-replay.ts';

export type ReplayStart = 'started' | 'running' | 'unknown';

/**
 * Replays started over HTTP (`POST /v1/admin/projections/:name/replay`), run in the background of
 * the process that took the request; progress shows in `/v1/projections` (each status's `replay`).
 * One at a time per projection in this process; across processes the shadow schema refuses a
 * second one (replay-projection.ts). `stop` (at shutdown) aborts them: each drops its shadow.
 */
export class ProjectionReplays {
  private readonly running = new Map<string, Promise<void>>();
  private readonly aborter = new AbortController();

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly log: (line: Record<string, unknown>) => void = (line) => console.log(JSON.stringify(line)),
  ) {}

  start(name: string): ReplayStart {
    if (!replayableProjectionNames().includes(name)) return 'unknown';
    if (this.running.has(name)) return 'running';
    const run = replayPlatformProjection(this.db, this.config, name, { signal: this.aborter.signal })
      .then((result) => this.log({ msg: 'projection replayed', ...result }))
      .catch((error: unknown) => this.log({ msg: 'projection replay failed', projection: name, error: error instanceof Error ? error.message : String(error) }))
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
    return 'started';
  }

  /** Aborts the replays running in this process and waits until each has dropped its shadow. */
  async stop(): Promise<void> {
    this.aborter.abort(new Error('the process is shutting down'));
    await Promise.all(this.running.values());
  }
}
