import type { Endpoint } from 'comlink';
import { isNodeRuntime } from './worker-scope.ts';

/**
 * The host side of the platform boundary: how to start a worker thread and notice that it died.
 * Implementations: browser-worker-platform.ts (Web Workers) and node-worker-platform.ts
 * (`worker_threads`). Engine code only sees this interface.
 */
export interface WorkerPlatform {
  readonly name: 'browser' | 'node';
  /** Starts kernel.worker.ts and resolves once it listens; rejects if it fails to load. */
  spawnKernelWorker(): Promise<SpawnedWorker>;
}

export interface SpawnedWorker {
  /** The comlink endpoint to the worker. */
  readonly endpoint: Endpoint;
  /** Resolves with the reason when the worker dies on its own (crash, uncaught error, exit); never after terminate(). */
  readonly death: Promise<Error>;
  /** Stops the thread; resolves once it is gone. Safe to call more than once. */
  terminate(): Promise<void>;
  /**
   * Whether the thread keeps the process alive (Node's ref/unref; default true). A helper thread
   * kept between uses sets false while idle, so it never holds a finished program open. No-op in browsers.
   */
  keepAlive(alive: boolean): void;
}

let defaultPlatform: Promise<WorkerPlatform> | undefined;

/** The platform of the running JavaScript environment, loaded on first use. */
export function defaultWorkerPlatform(): Promise<WorkerPlatform> {
  defaultPlatform ??= (isNodeRuntime() ? loadNodePlatform() : import('./browser-worker-platform.ts').then((m) => m.browserWorkerPlatform)).catch(
    (error: unknown) => {
      defaultPlatform = undefined;
      throw error;
    },
  );
  return defaultPlatform;
}

/**
 * Imports node-worker-platform by a computed URL (next to this file, with this file's extension:
 * .ts from source, .js when built), so bundlers never pull `node:worker_threads` into browser builds.
 */
async function loadNodePlatform(): Promise<WorkerPlatform> {
  const file = new URL(import.meta.url).pathname.endsWith('.ts') ? 'node-worker-platform.ts' : 'node-worker-platform.js';
  const url = new URL('./' + file, import.meta.url).href;
  const module = (await import(/* @vite-ignore */ url)) as typeof import('./node-worker-platform.ts');
  return module.nodeWorkerPlatform;
}
