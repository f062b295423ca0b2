import type { StreamGraph } from '../graph/stream-graph.ts';
import { JobCanceledError, JobExecutor, type JobConfig, type OperatorMetrics } from './job-executor.ts';

export interface JobExecutionResult {
  jobId: string;
  restarts: number;
  checkpointsCompleted: number;
}

export type JobStatus = 'running' | 'restarting' | 'finished' | 'failed' | 'canceled';

export interface JobMetrics {
  operators: OperatorMetrics[];
}

function newJobId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A handle on a running job: its status, result, metrics, and cancel.
 *
 * ```ts
 * const client = await env.executeAsync('clicks');
 * console.log(client.status(), client.metrics());
 * await client.cancel();
 * ```
 */
export class JobClient {
  readonly jobId = newJobId();
  private state: JobStatus = 'running';
  private readonly abort = new AbortController();
  readonly result: Promise<JobExecutionResult>;

  private constructor(
    private readonly executor: JobExecutor,
    readonly jobName: string,
  ) {
    this.result = this.run();
    // The caller may never await the result (fire and forget); an unobserved failure is still reported by status().
    this.result.catch(() => {});
  }

  /** Deploys the graph (so configuration errors reject here) and starts it running. */
  static async start(graph: StreamGraph, config: JobConfig): Promise<JobClient> {
    const executor = new JobExecutor(graph, config);
    const deploying = new AbortController();
    await executor.deploy(deploying.signal);
    return new JobClient(executor, config.name);
  }

  private async run(): Promise<JobExecutionResult> {
    try {
      await this.executor.start();
      await this.executor.run(this.abort.signal);
      await this.executor.close();
      this.state = 'finished';
      return { jobId: this.jobId, restarts: 0, checkpointsCompleted: 0 };
    } catch (error) {
      this.state = error instanceof JobCanceledError ? 'canceled' : 'failed';
      await this.executor.close().catch(() => {});
      throw error;
    }
  }

  status(): JobStatus {
    return this.state;
  }

  async cancel(): Promise<void> {
    if (this.state !== 'running') return;
    this.abort.abort();
    await this.result.catch(() => {});
  }

  metrics(): JobMetrics {
    return { operators: this.executor.metrics() };
  }
}
