/**
 * Node-only entry (`freshet/node`): everything of the universal entry plus parts that need Node's
 * file system or network.
 */
export * from './index.ts';
export { FileSystemCheckpointStorage } from './checkpoint/storage/fs-checkpoint-storage.ts';
export { FileSink } from './connectors/file/file-sink.ts';
