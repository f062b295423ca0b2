import type { Endpoint } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

/**
 * The worker side of the platform boundary: where a worker entry finds the thread that started it.
 * A Web Worker talks to its parent through its global scope; a Node worker thread through
 * `parentPort`, wrapped by comlink's node adapter. `node:worker_threads` is imported by a variable
 * specifier, so bundlers never pull it into browser builds.
 */
export async function connectToHost(): Promise<Endpoint> {
  if (!isNodeRuntime()) return globalThis as unknown as Endpoint;
  const specifier = 'node:worker_threads';
  const { parentPort } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
  if (parentPort === null) throw new Error('A worker entry must run in a worker thread; start it through KernelWorkerClient.start()');
  return nodeEndpoint(parentPort);
}

/** True in Node (main thread or worker thread), false in browsers and their workers. */
export function isNodeRuntime(): boolean {
  const scope = globalThis as { process?: { versions?: { node?: string } }; document?: unknown; WorkerGlobalScope?: unknown };
  return typeof scope.process?.versions?.node === 'string' && scope.document === undefined && scope.WorkerGlobalScope === undefined;
}
