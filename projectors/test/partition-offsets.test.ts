import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProjectionApplyError } from '../src/apply-batch.ts';
import { readCheckpoint } from '../src/checkpoints.ts';
import {
  applyPartitionBatch,
  ensurePartitionOffsetTable,
  PARTITION_OFFSETS_TABLE,
  PartitionOffsetConflictError,
  readPartitionOffsets,
  registerPartitions,
} from '../src/feeds/partition-offsets.ts';
import { prepareProjection } from '../src/prepare-projection.ts';
import { profilesProjection } from '../src/read-models/profiles/projection.ts';
import { getProfilesByIds } from '../src/read-models/profiles/reader.ts';
import { engines, History, openBackend, resetProjection, uuid, type Backend } from './support.ts';

/**
 * The Kafka feed's checkpoint (docs/event-bus.md): per partition, an offset moved by
 * compare-and-set in the transaction that applies the batch, and the projection's position as the
 * lowest relay marker over the partitions. On real connections; the broker side is tested where a
 * broker exists.
 */
describe.each(engines)('Kafka partition offsets on %s', (engine) => {
  let backend: Backend;
  const projection = profilesProjection;
  const topic = 'chirp.events';
  beforeAll(async () => {
    backend = await openBackend(engine, 'partition_offsets');
  });
  afterAll(async () => {
    await backend?.close();
  });
  beforeEach(async () => {
    const db = backend.executor;
    await ensurePartitionOffsetTable(db);
    await db.query(`DELETE FROM ${PARTITION_OFFSETS_TABLE}`);
    await db.query(`DELETE FROM projection_checkpoints WHERE name = $1`, [projection.name]).catch(() => {});
    await resetProjection(db, projection);
    await prepareProjection(db, projection);
  });

  const position = async () => (await readCheckpoint(backend.executor, projection.name))!.position;

  it('registers partitions once: new ones start from the earliest offset, existing ones are kept', async () => {
    const db = backend.executor;
    await registerPartitions(db, projection.name, topic, 2);
    expect(await readPartitionOffsets(db, projection.name, topic)).toEqual(new Map([[0, null], [1, null]]));
    await applyPartitionBatch(db, projection, { topic, partition: 1, expectedOffset: null, nextOffset: 5, events: [], markerPosition: null });
    await registerPartitions(db, projection.name, topic, 3);
    expect(await readPartitionOffsets(db, projection.name, topic)).toEqual(new Map([[0, null], [1, 5], [2, null]]));
    expect(await readPartitionOffsets(db, projection.name, 'another.topic')).toEqual(new Map());
  });

  it('applies a batch with its offset in one transaction; a batch from a stale offset is refused and applies nothing', async () => {
    const db = backend.executor;
    await registerPartitions(db, projection.name, topic, 1);
    const h = new History();
    const [alice, bob] = [uuid(), uuid()];
    const events = [h.register(alice, 'alice'), h.register(bob, 'bob'), h.follow(bob, alice)];
    await applyPartitionBatch(db, projection, { topic, partition: 0, expectedOffset: null, nextOffset: 3, events, markerPosition: null });
    expect((await getProfilesByIds(db, [alice])).get(alice)).toMatchObject({ followersCount: 1 });
    expect(await readPartitionOffsets(db, projection.name, topic)).toEqual(new Map([[0, 3]]));

    // Another instance already applied offsets 0..2: this one's copy of the batch must not count again.
    const unfollow = h.unfollow(bob, alice);
    const stale = applyPartitionBatch(db, projection, { topic, partition: 0, expectedOffset: null, nextOffset: 4, events: [...events, unfollow], markerPosition: null });
    await expect(stale).rejects.toBeInstanceOf(PartitionOffsetConflictError);
    expect((await getProfilesByIds(db, [alice])).get(alice)).toMatchObject({ followersCount: 1 });
    expect(await readPartitionOffsets(db, projection.name, topic)).toEqual(new Map([[0, 3]]));

    await applyPartitionBatch(db, projection, { topic, partition: 0, expectedOffset: 3, nextOffset: 4, events: [unfollow], markerPosition: null });
    expect((await getProfilesByIds(db, [alice])).get(alice)).toMatchObject({ followersCount: 0 });
  });

  it('a partition nobody registered is refused', async () => {
    await expect(
      applyPartitionBatch(backend.executor, projection, { topic, partition: 7, expectedOffset: null, nextOffset: 1, events: [], markerPosition: 10 }),
    ).rejects.toBeInstanceOf(PartitionOffsetConflictError);
  });

  it('an event that does not decode rolls the whole batch back, offset included, and names the event', async () => {
    const db = backend.executor;
    await registerPartitions(db, projection.name, topic, 1);
    const h = new History();
    const alice = uuid();
    const good = h.register(alice, 'alice');
    const bad = { ...h.register(uuid(), 'broken'), data: { userId: 'not-a-uuid' } };
    const error = await applyPartitionBatch(db, projection, { topic, partition: 0, expectedOffset: null, nextOffset: 2, events: [good, bad], markerPosition: 99 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProjectionApplyError);
    expect((error as ProjectionApplyError).position).toBe(bad.position);
    expect(await getProfilesByIds(db, [alice])).toEqual(new Map());
    expect(await readPartitionOffsets(db, projection.name, topic)).toEqual(new Map([[0, null]]));
    expect(await position()).toBe(0);
  });

  it('the position is the lowest marker over all partitions, and never moves back', async () => {
    const db = backend.executor;
    await registerPartitions(db, projection.name, topic, 3);
    const batch = (partition: number, expectedOffset: number | null, nextOffset: number, markerPosition: number | null) =>
      applyPartitionBatch(db, projection, { topic, partition, expectedOffset, nextOffset, events: [], markerPosition });
    await batch(0, null, 1, 100);
    await batch(1, null, 1, 120);
    // Partition 2 has applied no marker: events ≤ 100 may still wait there.
    expect(await position()).toBe(0);
    await batch(2, null, 2, 90);
    expect(await position()).toBe(90);
    await batch(2, 2, 3, 130);
    expect(await position()).toBe(100);
    // A re-sent older marker (redelivery) lowers nothing.
    await batch(0, 1, 2, 50);
    expect(await position()).toBe(100);
    // A batch without a marker leaves the partition's marker where it was.
    await batch(0, 2, 3, null);
    expect(await position()).toBe(100);
    // A partition added to the topic later starts at marker 0: the position holds.
    await registerPartitions(db, projection.name, topic, 4);
    await batch(1, 1, 2, 200);
    expect(await position()).toBe(100);
  });
});
