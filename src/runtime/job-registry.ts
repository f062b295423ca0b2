import type { JobClient } from './job-client.ts';

/**
 * Every job started in this process (or page), so outside access (the REST routes, the dashboard)
 * can list and reach them. Finished jobs stay listed until `forget` or until more than
 * `retainedFinished` have finished.
 */
class JobRegistry {
  private readonly jobs = new Map<string, JobClient>();
  retainedFinished = 100;

  add(client: JobClient): void {
    this.jobs.set(client.jobId, client);
    const done = [...this.jobs.values()].filter((j) => j.status() !== 'running' && j.status() !== 'restarting');
    for (const j of done.slice(0, Math.max(0, done.length - this.retainedFinished))) this.jobs.delete(j.jobId);
  }

  get(jobId: string): JobClient | undefined {
    return this.jobs.get(jobId);
  }

  list(): JobClient[] {
    return [...this.jobs.values()];
  }

  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }
}

export const jobRegistry = new JobRegistry();
