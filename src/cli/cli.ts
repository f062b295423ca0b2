import { UsageError, type CliIo } from './cli-io.ts';
import { REMOTE_HELP, remoteCommand } from './remote-commands.ts';
import { RUN_HELP, runCommand } from './run-command.ts';

export const HELP = `freshet: run Freshet stream jobs and manage them over REST

Usage:
  freshet run <job.ts|job.js> [flags] [-- job args]   run a job module (freshet run --help)
  freshet list [--url <url>]                          list the jobs of a running server
  freshet cancel <jobId> [--url <url>]                cancel a job
  freshet savepoint <jobId> [--url <url>]             take a savepoint
  freshet stop <jobId> [--url <url>]                  stop a job with a savepoint
  freshet --help                                      this help

${RUN_HELP}

${REMOTE_HELP}`;

/**
 * The `freshet` command: dispatches to a subcommand and turns errors into messages and exit codes
 * (0 ok, 1 failure, 2 bad usage).
 *
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), processIo());
 * ```
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(HELP + '\n');
        return command === undefined ? 2 : 0;
      case 'run':
        return await runCommand(rest, io);
      case 'list':
      case 'cancel':
      case 'savepoint':
      case 'stop':
        return await remoteCommand(command, rest, io);
      default:
        throw new UsageError(`freshet: unknown command '${command}'. Commands: run, list, cancel, savepoint, stop`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const message = error.message.startsWith('freshet') ? error.message : `freshet ${command}: ${error.message}`;
      io.stderr.write(`${message}\nSee freshet ${command === 'run' ? 'run ' : ''}--help.\n`);
      return 2;
    }
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
