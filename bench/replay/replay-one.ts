import { createSqlEventStore, openPgExecutor } from '@chirp/event-store';
import { createProjections } from '@chirp/projectors/read-models/index';
import { replayProjection } from '@chirp/projectors/replay/replay-projection';

/**
 * One projection replayed in a process of its own (the distributed topology runs each projector
 * group in its own process): `node --import tsx bench/replay/replay-one.ts <name>` with
 * CHIRP_DATABASE_URL. Prints one JSON line with the result.
 */
const name = process.argv[2]!;
const executor = await openPgExecutor(process.env.CHIRP_DATABASE_URL!, { maxConnections: 4 });
const store = await createSqlEventStore(executor);
try {
  const projection = createProjections({ homeTimeline: { cache: null, celebrityThreshold: Number(process.env.CHIRP_CELEBRITY_THRESHOLD ?? 10_000) } }).find(
    (p) => p.name === name,
  );
  if (!projection) throw new Error(`unknown projection ${name}`);
  const result = await replayProjection(store, executor, projection, { force: true });
  console.log(JSON.stringify(result));
} finally {
  await store.close();
  await executor.close();
}
