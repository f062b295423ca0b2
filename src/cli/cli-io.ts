/**
 * What the CLI touches of its process, so commands run in tests without a child process:
 * output streams, Ctrl-C, fetch and the working directory.
 *
 * ```ts
 * const code = await runCli(['list', '--url', server.url], { ...processIo(), stdout: captured });
 * ```
 */
export interface CliIo {
  stdout: { write(text: string): unknown };
  /** Messages, errors and the progress bar. */
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Calls `handler` on each Ctrl-C (SIGINT); returns a function that stops listening. */
  onInterrupt(handler: () => void): () => void;
  fetch: typeof fetch;
  cwd: string;
}

/** A mistake in how the command was called: exit code 2, with the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => void process.off('SIGINT', handler);
    },
    fetch: globalThis.fetch,
    cwd: process.cwd(),
  };
}
