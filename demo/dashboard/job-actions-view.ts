import { el } from './dom.ts';
import { errorText, type FetchRoute } from './rest-client.ts';

/**
 * Savepoint, stop-with-savepoint and cancel buttons for the selected job, through the REST routes
 * (`POST /jobs/:id/savepoints`, `POST /jobs/:id/stop`, `PATCH /jobs/:id?mode=cancel`). A savepoint's
 * outcome is polled from `GET /jobs/:id/savepoints/:requestId` and shown with its location.
 */
const SAVEPOINT_POLL_MS = 200;
const SAVEPOINT_POLLS = 600;

export class JobActionsView {
  readonly element: HTMLElement;
  private readonly buttons: HTMLButtonElement[];
  private readonly result: HTMLElement;
  private busy = false;

  constructor(
    private readonly fetchRoute: FetchRoute,
    private readonly jobId: () => string | undefined,
    private readonly afterAction: () => void,
  ) {
    const button = (label: string, action: string, run: (jobId: string) => Promise<string>) => {
      const b = el('button', { type: 'button', 'data-action': action }, label);
      b.addEventListener('click', () => void this.perform(run));
      return b;
    };
    this.buttons = [
      button('Savepoint', 'savepoint', (id) => this.savepoint(id, 'savepoints', { 'cancel-job': false })),
      button('Stop with savepoint', 'stop', (id) => this.savepoint(id, 'stop', {})),
      button('Cancel', 'cancel', (id) => this.cancel(id)),
    ];
    this.result = el('span', { class: 'action-result', 'aria-live': 'polite' });
    this.element = el('div', { class: 'job-actions' }, ...this.buttons, this.result);
  }

  /** Actions only make sense for a job that still runs. */
  setJobState(state: string): void {
    const active = state === 'RUNNING' || state === 'RESTARTING';
    for (const b of this.buttons) b.disabled = this.busy || !active;
  }

  private async perform(run: (jobId: string) => Promise<string>): Promise<void> {
    const jobId = this.jobId();
    if (jobId === undefined || this.busy) return;
    this.busy = true;
    for (const b of this.buttons) b.disabled = true;
    this.show('pending', 'Working…');
    try {
      this.show('ok', await run(jobId));
    } catch (error) {
      this.show('error', error instanceof Error ? error.message : String(error));
    } finally {
      this.busy = false;
      this.afterAction();
    }
  }

  private async savepoint(jobId: string, route: 'savepoints' | 'stop', body: unknown): Promise<string> {
    const id = encodeURIComponent(jobId);
    const trigger = await this.fetchRoute('POST', `/jobs/${id}/${route}`, body);
    if (trigger.status !== 202) throw new Error(errorText(trigger.status, trigger.json));
    const requestId = encodeURIComponent(String((trigger.json as { 'request-id': string })['request-id']));
    for (let i = 0; i < SAVEPOINT_POLLS; i++) {
      const { status, json } = await this.fetchRoute('GET', `/jobs/${id}/savepoints/${requestId}`);
      if (status !== 200) throw new Error(errorText(status, json));
      const answer = json as { status: { id: string }; operation?: { location?: string; 'failure-cause'?: { 'stack-trace'?: string } } };
      if (answer.status.id === 'COMPLETED') {
        const failure = answer.operation?.['failure-cause'];
        if (failure !== undefined) throw new Error(`Savepoint failed: ${failure['stack-trace'] ?? 'unknown cause'}`);
        return `${route === 'stop' ? 'Stopped with savepoint' : 'Savepoint'}: ${answer.operation?.location ?? '?'}`;
      }
      await new Promise((r) => setTimeout(r, SAVEPOINT_POLL_MS));
    }
    throw new Error(`Savepoint not complete after ${(SAVEPOINT_POLLS * SAVEPOINT_POLL_MS) / 1000} s`);
  }

  private async cancel(jobId: string): Promise<string> {
    const { status, json } = await this.fetchRoute('PATCH', `/jobs/${encodeURIComponent(jobId)}?mode=cancel`);
    if (status !== 202) throw new Error(errorText(status, json));
    return 'Canceled';
  }

  private show(kind: 'pending' | 'ok' | 'error', text: string): void {
    this.result.className = `action-result ${kind}`;
    this.result.textContent = text;
  }
}
