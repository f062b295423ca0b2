/**
 * Process entry of the `freshet` command (started by `freshet.mjs`, or `tsx src/cli/main.ts`).
 * Exits explicitly: a job may leave handles (worker threads, timers) that would keep Node alive.
 */
import { runCli } from './cli.ts';
import { processIo } from './cli-io.ts';

const code = await runCli(process.argv.slice(2), processIo());
process.exit(code);
