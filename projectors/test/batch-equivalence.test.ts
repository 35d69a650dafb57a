import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Projection } from '../src/projection.ts';
import { createHomeTimelineProjection } from '../src/read-models/home-timeline/projection.ts';
import { authorList, homeList } from '../src/read-models/home-timeline/lists.ts';
import { profilesProjection } from '../src/read-models/profiles/projection.ts';
import { searchProjection } from '../src/read-models/search/projection.ts';
import { trendsProjection } from '../src/read-models/trends/projection.ts';
import { analyticsProjection } from '../src/read-models/analytics/projection.ts';
import { eventRatesProjection } from '../src/read-models/event-rates/projection.ts';
import { tweetsProjection } from '../src/read-models/tweets/projection.ts';
import { userTweetsProjection } from '../src/read-models/user-tweets/projection.ts';
import { buildHistory, command, deliveries, deliveryOrder, prng } from './histories.ts';
import { applyBatch, openRig, setups, type TimelineRig } from './home-timeline-support.ts';
import { applyEvents, batches, dumpTables, engines, openBackend, resetProjection, type Backend } from './support.ts';

// ---------------------------------------------------------------------------------------------
// Applying a history in batches of random sizes, as the runner does (`applyBatch`: runs of
// follows and registrations set-based), leaves exactly the state that applying the same batches
// event by event through `apply` leaves: every table of the projection, row for row — the
// celebrity flags with their hysteresis included — and, for the cached home timeline, every
// cached list (so the batch path drops the same lists). Histories with follow bursts, duplicates,
// stale redeliveries and interleaved streams; thresholds of 2–3 so runs cross them both ways.
// ---------------------------------------------------------------------------------------------
const scenario = fc
  .integer({ min: 3, max: 7 })
  .chain((users) =>
    fc.record({
      users: fc.constant(users),
      commands: fc.array(command(users), { minLength: 1, maxLength: 80 }),
      threshold: fc.integer({ min: 2, max: 3 }),
      hysteresis: fc.boolean(),
      delivery: fc.constantFrom(...deliveries),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
    }),
  );
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

const numRuns = Number(process.env.CHIRP_BATCH_PROPERTY_RUNS ?? 30);

const exitOf = (s: Scenario) => (s.hysteresis ? s.threshold - 1 : s.threshold);

describe.each(engines)('batched apply equals one-by-one apply (%s)', (engine) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(engine, 'batch_equivalence');
  });
  afterAll(async () => {
    await backend?.close();
  });

  const subjects: { name: string; make(s: Scenario): Projection }[] = [
    { name: 'profiles', make: () => profilesProjection },
    { name: 'tweets', make: () => tweetsProjection },
    { name: 'user-tweets', make: () => userTweetsProjection },
    { name: 'search', make: () => searchProjection },
    { name: 'trends', make: () => trendsProjection },
    { name: 'analytics', make: () => analyticsProjection },
    { name: 'event-rates', make: () => eventRatesProjection },
    {
      name: 'home-timeline (SQL only)',
      make: (s) => createHomeTimelineProjection({ cache: null, celebrityThreshold: s.threshold, celebrityExitThreshold: exitOf(s) }),
    },
  ];

  it.each(subjects)('$name', async ({ make }) => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { events } = buildHistory(s.users, s.commands);
        const random = prng(s.seed);
        const parts = batches(deliveryOrder(events, s.delivery, random), random);
        const projection = make(s);
        const stateAfter = async (oneByOne: boolean) => {
          await resetProjection(backend.executor, projection);
          for (const part of parts) await applyEvents(backend.executor, projection, part, oneByOne);
          return dumpTables(backend.executor, projection.readsTables ?? []);
        };
        expect(await stateAfter(false)).toEqual(await stateAfter(true));
      }),
      { numRuns },
    );
  }, 120_000 + numRuns * 2_000);
});

describe.each(setups)('batched apply equals one-by-one apply, cached home timeline ($label)', (setup) => {
  let rig: TimelineRig;
  beforeAll(async () => {
    rig = await openRig(setup, 'batch_equivalence');
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('leaves the same tables and the same cached lists', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { users, events } = buildHistory(s.users, s.commands);
        const stateAfter = async (oneByOne: boolean) => {
          // The same random stream for both: the same delivery, batches and reads between them.
          const random = prng(s.seed);
          const parts = batches(deliveryOrder(events, s.delivery, random), random);
          await rig.reconfigure({ maxEntries: 5, celebrityThreshold: s.threshold, celebrityExitThreshold: exitOf(s) });
          // Most users' lists cached from the start, so drops and offers have lists to act on.
          for (const user of users) if (random() < 0.7) await rig.read(user, 1);
          for (const part of parts) {
            await applyBatch(rig.backend.executor, rig.projection, part, false, oneByOne);
            if (random() < 0.3) await rig.read(users[Math.floor(random() * users.length)]!, 1 + Math.floor(random() * 4));
          }
          const lists: unknown[] = [];
          for (const user of users) {
            lists.push(await rig.cache.read(homeList(user), { limit: 100 }), await rig.cache.read(authorList(user), { limit: 100 }));
          }
          return { tables: await dumpTables(rig.backend.executor, rig.projection.readsTables ?? []), lists };
        };
        expect(await stateAfter(false)).toEqual(await stateAfter(true));
      }),
      { numRuns },
    );
  }, 120_000 + numRuns * 3_000);
});
