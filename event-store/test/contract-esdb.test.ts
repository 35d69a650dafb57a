import { afterAll, beforeAll, describe } from 'vitest';
import { createEsdbEventStore } from '../src/esdb/esdb-event-store.ts';
import { describeEventStoreContract } from './contract.ts';

/**
 * The shared contract against a real EventStoreDB: CHIRP_TEST_EVENTSTORE_URL when set, otherwise
 * a testcontainers EventStoreDB (same image and settings as docker-compose.yml) where a container
 * runtime answers. Neither → the suite is skipped and says why (never a stand-in server).
 *
 * EventStoreDB answers an exact retry with success instead of DuplicateEventError, and its event
 * ids are not unique across the log: the contract runs with `duplicateEventIds: 'idempotent-retry'`
 * (docs/event-store.md, "EventStoreDB" → "Duplicate event ids").
 */
const IMAGE = 'eventstore/eventstore:24.10';

interface EsdbServer {
  url: string;
  stop(): Promise<void>;
}

async function esdbSource(): Promise<{ start: () => Promise<EsdbServer> } | { skip: string }> {
  const given = process.env.CHIRP_TEST_EVENTSTORE_URL;
  if (given) return { start: async () => ({ url: given, stop: async () => {} }) };
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    return { skip: `no CHIRP_TEST_EVENTSTORE_URL and no container runtime (${error instanceof Error ? error.message : String(error)})` };
  }
  return { start: startContainer };
}

async function startContainer(): Promise<EsdbServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(IMAGE)
    .withExposedPorts(2113)
    .withEnvironment({
      EVENTSTORE_CLUSTER_SIZE: '1',
      EVENTSTORE_INSECURE: 'true',
      EVENTSTORE_MEM_DB: 'true',
      EVENTSTORE_RUN_PROJECTIONS: 'None',
      EVENTSTORE_START_STANDARD_PROJECTIONS: 'false',
    })
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
    .withStartupTimeout(120_000)
    .start();
  return {
    url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
    stop: async () => void (await container.stop()),
  };
}

const source = await esdbSource();
const skipReason = 'skip' in source ? source.skip : null;
if (skipReason) console.warn(`event-store/test/contract-esdb.test.ts SKIPPED: ${skipReason}`);
const title = skipReason ? `EventStoreDB adapter — SKIPPED: ${skipReason}` : 'EventStoreDB adapter';

describe.skipIf(skipReason !== null)(title, () => {
  let server: EsdbServer | undefined;

  beforeAll(async () => {
    if ('start' in source) server = await source.start();
  }, 180_000);
  // The enclosing suite's afterAll runs after every test of the contract.
  afterAll(async () => {
    await server?.stop();
  });

  describeEventStoreContract('EventStoreDB', async () => {
    if (!server) throw new Error('no EventStoreDB server');
    const store = await createEsdbEventStore(server.url, { connectTimeoutMs: 30_000 });
    return { store, cleanup: () => store.close() };
  }, { duplicateEventIds: 'idempotent-retry' });
});
