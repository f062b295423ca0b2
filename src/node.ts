/**
 * Node-only entry (`freshet/node`): everything of the universal entry plus parts that need Node's
 * file system or network.
 */
export * from './index.ts';
export { FileSystemCheckpointStorage } from './checkpoint/storage/fs-checkpoint-storage.ts';
export { FileSink } from './connectors/file/file-sink.ts';
export { startRestServer } from './rest/node-rest-server.ts';
export type { RestServer, RestServerOptions } from './rest/node-rest-server.ts';
// createRestRoutes and splitRequestTarget come from the universal entry: pages route in-page with them.
