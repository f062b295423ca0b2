import type { Endpoint } from 'comlink';
import { KERNEL_WORKER_READY } from './kernel-worker-protocol.ts';
import type { SpawnedWorker, WorkerPlatform } from './worker-platform.ts';

/**
 * Web Workers (module workers). The `new Worker(new URL('./kernel.worker.ts', import.meta.url), ...)`
 * expression is the form Vite recognises: it bundles the worker and rewrites the URL.
 *
 * A Web Worker has no exit event: an uncaught error in it (or a message that cannot be
 * deserialized) counts as its death here, and the client terminates it.
 */
export const browserWorkerPlatform: WorkerPlatform = {
  name: 'browser',
  async spawnKernelWorker(): Promise<SpawnedWorker> {
    const worker = new Worker(new URL('./kernel.worker.ts', import.meta.url), { type: 'module', name: 'freshet-kernel' });
    try {
      await whenReady(worker);
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return spawned(worker);
  },
};

function whenReady(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
    };
    const onMessage = (event: MessageEvent) => {
      if (event.data !== KERNEL_WORKER_READY) return;
      cleanup();
      resolve();
    };
    const onError = (event: Event) => {
      cleanup();
      const detail = event instanceof ErrorEvent && event.message ? event.message : 'the script failed to load (see the console)';
      reject(new Error(`The kernel worker failed to start: ${detail}`));
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
  });
}

function spawned(worker: Worker): SpawnedWorker {
  let terminated = false;
  const death = new Promise<Error>((resolve) => {
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      if (!terminated) resolve(new Error(`uncaught error: ${event.message || 'unknown (see the console)'}`));
    });
    worker.addEventListener('messageerror', () => {
      if (!terminated) resolve(new Error('it sent a message that could not be deserialized'));
    });
  });
  return {
    endpoint: worker as unknown as Endpoint,
    death,
    terminate() {
      terminated = true;
      worker.terminate();
      return Promise.resolve();
    },
    keepAlive() {},
  };
}
