/** Entry of the dedicated Web Worker that runs the demo's job, so the page stays responsive. */
import { expose } from 'comlink';
import { JobHost } from './job-host.ts';

expose(new JobHost());
