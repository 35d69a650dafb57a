import type { EventStore } from '@chirp/event-store/port';
import type { SqlExecutor } from '@chirp/event-store/sql/executor';
import type { Projection } from './projection.ts';
import { ProjectionRunner, type RunnerOptions } from './projection-runner.ts';

export interface StartProjectorsOptions extends RunnerOptions {
  /** Run only these projections (by name); unknown names are an error. */
  only?: readonly string[];
}

export interface ProjectorHost {
  readonly runners: readonly ProjectionRunner[];
  runner(name: string): ProjectionRunner | undefined;
  /** Stops every runner (each lets its batch in flight commit). */
  stop(): Promise<void>;
}

/** Starts one runner per projection (optionally a subset); if one fails to start, stops the rest. */
export async function startProjectors(
  store: EventStore,
  executor: SqlExecutor,
  projections: readonly Projection[],
  options: StartProjectorsOptions = {},
): Promise<ProjectorHost> {
  const { only, ...runnerOptions } = options;
  const runners = selectProjections(projections, only).map((p) => new ProjectionRunner(store, executor, p, runnerOptions));
  await startAllOrNone(runners);
  return {
    runners,
    runner: (name) => runners.find((r) => r.name === name),
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}

/**
 * The projections to run: all, or those named in `only`. Two projections of one name, or a name
 * in `only` that none has, are errors. Shared by both feeds' hosts (feeds/kafka-projectors.ts).
 */
export function selectProjections(projections: readonly Projection[], only: readonly string[] | undefined): Projection[] {
  const names = new Set<string>();
  for (const p of projections) {
    if (names.has(p.name)) throw new Error(`two projections are named ${p.name}`);
    names.add(p.name);
  }
  const unknown = (only ?? []).filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new Error(`unknown projection(s) ${unknown.join(', ')}; known: ${[...names].join(', ')}`);
  }
  return only ? projections.filter((p) => only.includes(p.name)) : [...projections];
}

/** Starts each in turn; if one fails, stops those already started and rethrows. */
export async function startAllOrNone(workers: readonly { start(): Promise<void>; stop(): Promise<void> }[]): Promise<void> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    for (const worker of workers) {
      await worker.start();
      started.push(worker);
    }
  } catch (err) {
    await Promise.all(started.map((w) => w.stop()));
    throw err;
  }
}
