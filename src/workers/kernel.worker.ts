/**
 * Entry of a kernel worker: a Web Worker module in browsers (Vite bundles it from
 * browser-worker-platform.ts) and a worker thread in Node (node-worker-platform.ts). It serves one
 * window-aggregation kernel subtask to the KernelWorkerClient that started it.
 */
import { serveKernelWorker } from './kernel-worker-service.ts';
import { connectToHost } from './worker-scope.ts';

serveKernelWorker(await connectToHost());
