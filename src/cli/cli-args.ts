import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-io.ts';

/**
 * Flag parsing for one subcommand: node:util's parseArgs (strict: unknown flags are errors) plus
 * validators whose errors name the flag and the value given. Arguments after `--` are kept apart,
 * untouched, for the job module.
 *
 * ```ts
 * const { values, positionals, rest } = parseCommandArgs('run', argv, { parallelism: { type: 'string' } });
 * const p = integerFlag('--parallelism', values.parallelism, 1);
 * ```
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: O,
): { values: { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : string } & { help?: boolean }; positionals: string[]; rest: string[] } {
  const dashDash = argv.indexOf('--');
  const own = dashDash === -1 ? argv : argv.slice(0, dashDash);
  const rest = dashDash === -1 ? [] : argv.slice(dashDash + 1);
  try {
    const parsed = parseArgs({ args: own, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: parsed.values as never, positionals: parsed.positionals, rest };
  } catch (error) {
    throw new UsageError(`freshet ${command}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** An integer flag within [min, max]; undefined when the flag was not given. */
export function integerFlag(flag: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError(`${flag} must be ${range}, got '${value}'`);
  }
  return n;
}

/** An http(s) base URL, without a trailing slash. */
export function urlFlag(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL like http://127.0.0.1:8081, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} must be an http(s) URL like http://127.0.0.1:8081, got '${value}'`);
  return url.href.replace(/\/+$/, '');
}

/** Quotes an argument for a POSIX shell when it needs it, for commands printed for the user to run. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
