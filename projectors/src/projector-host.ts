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
  const names = new Set<string>();
  for (const p of projections) {
    if (names.has(p.name)) throw new Error(`two projections are named ${p.name}`);
    names.add(p.name);
  }
  const unknown = (options.only ?? []).filter((n) => !names.has(n));
  if (unknown.length > 0) {
    throw new Error(`unknown projection(s) ${unknown.join(', ')}; known: ${[...names].join(', ')}`);
  }
  const selected = options.only ? projections.filter((p) => options.only!.includes(p.name)) : projections;
  const { only: _only, ...runnerOptions } = options;
  const runners = selected.map((p) => new ProjectionRunner(store, executor, p, runnerOptions));
  const started: ProjectionRunner[] = [];
  try {
    for (const runner of runners) {
      await runner.start();
      started.push(runner);
    }
  } catch (err) {
    await Promise.all(started.map((r) => r.stop()));
    throw err;
  }
  return {
    runners,
    runner: (name) => runners.find((r) => r.name === name),
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}
