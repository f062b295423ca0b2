import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EnvironmentConfig, StreamExecutionEnvironment } from '../api/stream-execution-environment.ts';
import { UsageError } from './cli-io.ts';

/** What `freshet run` passes to a job module's builder besides the environment. */
export interface JobContext {
  /** Arguments after `--` on the command line. */
  args: string[];
}

export type JobBuilder = (env: StreamExecutionEnvironment, context: JobContext) => unknown;

/**
 * A job module as `freshet run` loads it:
 *
 * ```ts
 * // clicks.ts
 * export const environment = { sourceBatchSize: 100 };  // optional EnvironmentConfig (flags win)
 * export const name = 'clicks';                          // optional job name (default: the file name)
 * export const totalRecords = 10_000;                    // optional, for the progress bar
 * export default function build(env, { args }) {         // or `export function build`
 *   env.fromSequence(1, 10_000).map((n) => n * 2).sinkTo(new FileSink(args[0]));
 * }
 * ```
 * The builder defines the pipeline only; `freshet run` executes it.
 */
export interface JobModule {
  path: string;
  build: JobBuilder;
  environment: EnvironmentConfig;
  name: string | undefined;
  totalRecords: number | undefined;
}

const EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

export async function loadJobModule(file: string, cwd: string): Promise<JobModule> {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`freshet run: job file not found: ${path}${path === file ? '' : ` (from '${file}')`}`);
  if (!statSync(path).isFile()) throw new UsageError(`freshet run: ${path} is not a file; give the job module, e.g. job.ts`);
  if (!EXTENSIONS.has(extname(path))) throw new UsageError(`freshet run: ${file} should be a .ts or .js module (got '${extname(path) || 'no extension'}')`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`freshet run: cannot load ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const build = typeof mod.default === 'function' ? mod.default : mod.build;
  if (typeof build !== 'function') {
    const exports = Object.keys(mod).filter((k) => k !== '__esModule');
    throw new UsageError(
      `freshet run: ${file} exports no pipeline builder (its exports: ${exports.join(', ') || 'none'}). ` +
        'Export a function as default or as `build`: export default function build(env) { env.fromSequence(1, 10).print(); }',
    );
  }
  const environment = mod.environment ?? {};
  if (environment === null || typeof environment !== 'object') throw new UsageError(`freshet run: ${file}: export 'environment' must be an EnvironmentConfig object, got ${String(environment)}`);
  const name = mod.name;
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw new UsageError(`freshet run: ${file}: export 'name' must be a non-empty string, got ${JSON.stringify(name)}`);
  const totalRecords = mod.totalRecords;
  if (totalRecords !== undefined && (typeof totalRecords !== 'number' || !Number.isSafeInteger(totalRecords) || totalRecords < 0)) {
    throw new UsageError(`freshet run: ${file}: export 'totalRecords' must be an integer >= 0, got ${String(totalRecords)}`);
  }
  return { path, build: build as JobBuilder, environment: environment as EnvironmentConfig, name, totalRecords };
}
