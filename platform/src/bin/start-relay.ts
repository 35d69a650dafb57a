import { loadRelayConfig, observeRelayLag, RelayConfigError, startKafkaRelay } from '@chirp/event-bus';
import { ConfigError, loadConfig } from '../config.ts';
import { describeDatabase, openDatabase } from '../database.ts';
import { startObservability } from '../observability.ts';
import { runService } from '../process-lifecycle.ts';

/**
 * `npm run start:relay`: publishes every event of the store to Kafka (docs/event-bus.md). Needs
 * CHIRP_DATABASE_URL (PostgreSQL: it runs beside the other processes) and CHIRP_KAFKA_BROKERS.
 */
runService('relay', async (life) => {
  // Both configurations are read before anything opens, so every bad variable is named at once.
  const problems: string[] = [];
  const config = (() => {
    try {
      return loadConfig(process.env, 'projectors');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // The relay needs what the projectors need of the platform (a PostgreSQL URL); say whose need it is.
      problems.push(...error.message.split('\n').slice(1).map((l) => l.replaceAll('npm run start:projectors', 'npm run start:relay')));
      return null;
    }
  })();
  const relayConfig = (() => {
    try {
      return loadRelayConfig(process.env);
    } catch (error) {
      if (!(error instanceof RelayConfigError)) throw error;
      problems.push(...error.issues.map((i) => `  ${i}`));
      return null;
    }
  })();
  if (!config || !relayConfig) throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);

  life.stopWithin(config.CHIRP_SHUTDOWN_GRACE_MS + 25_000);
  const { metricsUrl } = await startObservability(life, config, 'relay');
  const db = await life.step(`cannot open the database (${describeDatabase(config)})`, () => openDatabase(config));
  life.onStop(() => db.close());
  const running = await life.step('cannot start the relay', () => startKafkaRelay({ store: db.store, executor: db.executor, config: relayConfig }));
  life.onStop(async () => {
    await running.stop();
    // A relay that stopped on its own (a second relay on its checkpoint) makes the exit code 1.
    if (running.relay.error) throw running.relay.error;
  });
  if (metricsUrl) {
    const relay = running.relay;
    const stopObserving = observeRelayLag(db.store, { name: relayConfig.name, get position() { return relay.position; } });
    life.onStop(async () => stopObserving());
  }
  // The loop only ends by itself on a fatal error: shut down the orderly way, as on a signal.
  void running.relay.done.then(() => {
    if (running.relay.error) process.kill(process.pid, 'SIGTERM');
  });
  console.log(
    `relay running: ${db.description} → topic ${relayConfig.topic} on ${relayConfig.brokers.join(', ')} ` +
      `from position ${running.relay.position} (checkpoint ${relayConfig.name}, pid ${process.pid})${metricsUrl ? `, metrics ${metricsUrl}` : ''}`,
  );
});
