/**
 * Freshet: a Flink-style stream processor for TypeScript, in the browser and in Node.
 * This is the universal entry; Node-only parts live in `freshet/node`.
 */
export { StreamExecutionEnvironment } from './api/stream-execution-environment.ts';
export type { EnvironmentConfig, ExecuteOptions, RuntimeMode } from './api/stream-execution-environment.ts';
export { DataStream, KeyedStream, DataStreamSink } from './api/data-stream.ts';
export { WindowedStream } from './api/windowed-stream.ts';
export { ConnectedStreams } from './api/connected-streams.ts';
export { OutputTag } from './api/output-tag.ts';
export { agg, BuiltinAggregate } from './api/agg.ts';
export type { AggKind, AggSpec, FieldSelector } from './api/agg.ts';
export type {
  AggregateFunction,
  Collector,
  Context,
  KeyedContext,
  KeyedProcessFunction,
  KeyedCoProcessFunction,
  ProcessFunction,
  ProcessWindowFunction,
  ProcessWindowFunctionContext,
  RuntimeContext,
  TimerService,
} from './api/functions.ts';

export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
} from './state/state-descriptors.ts';
export type { ValueState, ListState, MapState, ReducingState, AggregatingState } from './state/state-descriptors.ts';

export { WatermarkStrategy } from './time/watermark-strategy.ts';
export type { WatermarkGenerator, WatermarkOutput, TimestampAssigner } from './time/watermark-strategy.ts';
export { SystemClock, ManualClock } from './time/clock.ts';
export type { Clock } from './time/clock.ts';

export { Window, TimeWindow, GlobalWindow } from './windowing/window.ts';
export {
  WindowAssigner,
  TumblingEventTimeWindows,
  SlidingEventTimeWindows,
  EventTimeSessionWindows,
  TumblingProcessingTimeWindows,
  SlidingProcessingTimeWindows,
  ProcessingTimeSessionWindows,
  GlobalWindows,
} from './windowing/window-assigners.ts';
export { Trigger, TriggerResult } from './windowing/trigger.ts';
export type { TriggerContext, OnMergeContext } from './windowing/trigger.ts';
export {
  EventTimeTrigger,
  ProcessingTimeTrigger,
  CountTrigger,
  PurgingTrigger,
  ContinuousEventTimeTrigger,
  NeverTrigger,
} from './windowing/triggers.ts';

export type { Source, SourceSplit, SourceReader, SourcePoll, SourceReaderContext } from './connectors/source.ts';
export type { Sink, SinkWriter, SinkContext } from './connectors/sink.ts';
export { PrintSink } from './connectors/sinks/print-sink.ts';

export { JobClient } from './runtime/job-client.ts';
export { RestartStrategy } from './runtime/restart-strategy.ts';
export { jobRegistry } from './runtime/job-registry.ts';
// The REST routes answer in-page too (no server): the demo and the dashboard call them directly.
export { createRestRoutes } from './rest/rest-routes.ts';
export type { RestHandler, RestOptions, RestRequest, RestResponse, JobLookup } from './rest/rest-routes.ts';
export { splitRequestTarget } from './rest/request-target.ts';
export { MemoryCheckpointStorage } from './checkpoint/storage/memory-checkpoint-storage.ts';
export { IndexedDbCheckpointStorage } from './checkpoint/storage/indexeddb-checkpoint-storage.ts';
export { CheckpointStorageError } from './checkpoint/storage/checkpoint-storage.ts';
export type {
  CheckpointStorage,
  CompletedCheckpoint,
  CheckpointHandle,
  CheckpointSummary,
  CheckpointKind,
  WriteOptions as CheckpointWriteOptions,
} from './checkpoint/storage/checkpoint-storage.ts';
export type { JobExecutionResult, JobStatus, JobMetrics, JobEdge } from './runtime/job-client.ts';
export { OperatorFailure } from './runtime/operator-failure.ts';
export { JobCanceledError } from './runtime/job-executor.ts';

export { EventLogSource } from './connectors/event-log/event-log-source.ts';
export type { EventRecord, EventLogOptions, NdjsonOptions, CsvOptions, ParquetOptions } from './connectors/event-log/event-log-source.ts';
export { MalformedInputError } from './connectors/event-log/malformed-input-error.ts';
export type { MalformedRecord } from './connectors/event-log/malformed-input-error.ts';
