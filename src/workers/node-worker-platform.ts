import { fileURLToPath } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { KERNEL_WORKER_READY } from './kernel-worker-protocol.ts';
import type { SpawnedWorker, WorkerPlatform } from './worker-platform.ts';

/**
 * Worker threads for Node (`worker_threads`). Only worker-platform.ts imports this file, by a
 * computed URL, so it never reaches a browser bundle.
 *
 * Running from TypeScript sources (this file's URL ends in .ts: under tsx or vitest), the worker's
 * entry is TypeScript too. The first spawn in a process bundles kernel.worker.ts and what it imports
 * into one ES module with esbuild (tsx's own transpiler, so present wherever tsx is) and every
 * worker imports that bundle as a data: URL: a worker is ready in tens of ms, where registering
 * tsx's loader in each thread costs ~0.3-0.5 s of CPU (it starts an esbuild service per thread),
 * which jobs at parallelism 4 on two cores pay four times over. Without esbuild the thread
 * registers tsx's loader through its API (`tsx/esm/api` register()). `execArgv: ['--import',
 * 'tsx']` is not enough: tsx registers its hooks in worker threads only on Node >= 22.22.3 /
 * 24.11.1 (on Node 20 the worker fails with ERR_UNKNOWN_FILE_EXTENSION), and the engines field
 * allows Node 20. A built .js library starts kernel.worker.js directly.
 */
/** The extension of this file's source: '.ts' under tsx or vitest, '.js' when built. */
const SOURCE_EXTENSION = new URL(import.meta.url).pathname.endsWith('.ts') ? '.ts' : '.js';

export function createNodeWorkerPlatform(options: NodeWorkerPlatformOptions = {}): WorkerPlatform {
  return {
    name: 'node',
    async spawnKernelWorker(): Promise<SpawnedWorker> {
      const worker = await startWorker(new URL(`./kernel.worker${SOURCE_EXTENSION}`, import.meta.url), options);
      try {
        await whenReady(worker);
      } catch (error) {
        await worker.terminate();
        throw error;
      }
      return spawned(worker);
    },
  };
}

export interface NodeWorkerPlatformOptions {
  /** Heap limits per worker thread: a worker that exceeds them dies (its client rejects every call). */
  resourceLimits?: ResourceLimits;
}

export const nodeWorkerPlatform: WorkerPlatform = createNodeWorkerPlatform();

/** CommonJS, run by `eval: true`: registers tsx in this thread, then imports the TypeScript entry. */
const TSX_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then(({ register }) => {
  register();
  return import(workerData.entry);
});
`;

/** CommonJS, run by `eval: true`: imports the bundled entry (a data: URL). */
const BUNDLE_BOOTSTRAP = `import(require('node:worker_threads').workerData.entry);`;

async function startWorker(entry: URL, { resourceLimits }: NodeWorkerPlatformOptions): Promise<Worker> {
  const name = 'freshet-kernel';
  if (SOURCE_EXTENSION === '.js') return new Worker(entry, { name, resourceLimits });
  const execArgv = workerExecArgv(process.execArgv);
  const bundled = await bundledEntry(entry);
  if (bundled !== undefined) return new Worker(BUNDLE_BOOTSTRAP, { eval: true, name, resourceLimits, execArgv, workerData: { entry: bundled } });
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch (error) {
    throw new Error('Kernel workers started from TypeScript sources need tsx (a devDependency); install it or run the built library', { cause: error });
  }
  return new Worker(TSX_BOOTSTRAP, {
    eval: true,
    name,
    resourceLimits,
    execArgv,
    workerData: { tsxApi, entry: entry.href },
  });
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: Array<{ text: string }> }>;
}

const bundles = new Map<string, Promise<string | undefined>>();

/** `entry` and its imports as one ES module in a data: URL, built once per process; undefined without esbuild. */
function bundledEntry(entry: URL): Promise<string | undefined> {
  let bundle = bundles.get(entry.href);
  if (bundle === undefined) {
    bundle = (async () => {
      let esbuild: Esbuild;
      try {
        const specifier = 'esbuild';
        esbuild = (await import(/* @vite-ignore */ specifier)) as Esbuild;
      } catch {
        return undefined;
      }
      const { outputFiles } = await esbuild.build({
        entryPoints: [fileURLToPath(entry)],
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        write: false,
        logLevel: 'silent',
      });
      return `data:text/javascript;base64,${Buffer.from(outputFiles[0]!.text).toString('base64')}`;
    })();
    // A failed build (say, a syntax error while editing) is tried again by the next spawn.
    bundle.catch(() => bundles.delete(entry.href));
    bundles.set(entry.href, bundle);
  }
  return bundle;
}

/**
 * The flags a kernel thread gets: the host's preloads (--import/--require/--loader), without tsx's
 * own (inherited from `tsx script.ts`: the bootstrap registers tsx once, or the bundle needs none).
 * Nothing else: the entry needs no flags, and per-process ones (V8 options such as
 * --max-old-space-size or --trace-gc) make `new Worker` throw ERR_WORKER_INVALID_EXEC_ARGV when
 * passed to a thread.
 */
function workerExecArgv(execArgv: readonly string[]): string[] {
  const isTsx = (value: string) => /(^|[/\\])tsx([/\\]|$)/.test(value);
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i];
    const [name, inline] = flag.split('=', 2) as [string, string | undefined];
    if (name === '--import' || name === '--require' || name === '-r' || name === '--loader' || name === '--experimental-loader') {
      const value = inline ?? execArgv[i + 1] ?? '';
      if (inline === undefined) i++;
      if (!isTsx(value)) kept.push(name, value);
    }
  }
  return kept;
}

function whenReady(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: unknown) => {
      if (message !== KERNEL_WORKER_READY) return;
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new Error(`The kernel worker failed to start: ${error.message}`, { cause: error }));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`The kernel worker exited with code ${code} while starting`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

function spawned(worker: Worker): SpawnedWorker {
  let terminating: Promise<void> | undefined;
  const death = new Promise<Error>((resolve) => {
    worker.on('error', (error) => {
      if (terminating === undefined) resolve(error);
    });
    worker.on('exit', (code) => {
      if (terminating === undefined) resolve(new Error(`its thread exited with code ${code}`));
    });
  });
  return {
    endpoint: nodeEndpoint(worker),
    death,
    terminate() {
      terminating ??= worker.terminate().then(() => undefined);
      return terminating;
    },
    keepAlive(alive) {
      if (alive) worker.ref();
      else worker.unref();
    },
  };
}
