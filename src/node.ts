/**
 * Node-only entry (`freshet/node`): everything of the universal entry plus parts that need Node's
 * file system or network.
 */
export * from './index.ts';
export { FileSystemCheckpointStorage } from './checkpoint/storage/fs-checkpoint-storage.ts';
export { FileSink } from './connectors/file/file-sink.ts';
export { startRestServer } from './rest/node-rest-server.ts';
export type { RestServer, RestServerOptions } from './rest/node-rest-server.ts';
export { createRestRoutes } from './rest/rest-routes.ts';
export type { RestHandler, RestOptions, RestRequest, RestResponse, JobLookup } from './rest/rest-routes.ts';
export { splitRequestTarget } from './rest/request-target.ts';
