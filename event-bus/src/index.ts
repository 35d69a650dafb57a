/**
 * @chirp/event-bus: Chirp's events on Kafka. The relay (publisher side) and the wire format the
 * consumer side decodes. docs/event-bus.md.
 */
export {
  decodeKafkaRecord,
  ENVELOPE_FORMAT_VERSION,
  fromKafkaMessage,
  MARKER_KEY,
  toMarkerMessages,
  type KafkaRecord,
  HEADER,
  MalformedKafkaMessageError,
  toKafkaMessage,
  type OutgoingKafkaMessage,
  type ReceivedHeaderValue,
  type ReceivedKafkaMessage,
} from './kafka-messages.ts';
export {
  connectPublisher,
  consumePartitions,
  ensureTopic,
  fetchPartitionCount,
  KafkaUnreachableError,
  PartitionOffsetGapError,
  readTopic,
  type ConsumePartitionsOptions,
  type DeliveredPartitionBatch,
  type EventPublisher,
  type KafkaConnectionOptions,
  type PartitionConsumer,
  type PartitionFailure,
} from './kafka-client.ts';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_CLIENT_ID,
  DEFAULT_TOPIC,
  loadRelayConfig,
  RelayConfigError,
  RelayConfigSchema,
  type RelayConfig,
} from './relay-config.ts';
export {
  advanceRelayCheckpoint,
  CorruptRelayCheckpointError,
  ensureRelayCheckpointTable,
  openRelayCheckpoint,
  readRelayCheckpoint,
  RELAY_CHECKPOINT_TABLE,
  RelayCheckpointConflictError,
  type RelayCheckpointRow,
} from './relay-checkpoint.ts';
export { KafkaRelay, type LogLine, type RelayOptions, type RelayStage, type RelayStatus } from './relay.ts';
export { startKafkaRelay, type RunningRelay, type StartKafkaRelay } from './start-kafka-relay.ts';
export { observeRelayLag } from './relay-metrics.ts';
