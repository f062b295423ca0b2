import { el } from './dom.ts';
import { errorText, type FetchRoute } from './rest-client.ts';
import type { Vertex } from './rest-types.ts';

/**
 * The state lookup box: operator uid, state name (or `windows` for the in-flight windows of a window
 * operator) and key, answered by `GET /jobs/:jobId/state/:uid/:stateName?key=K`. The key goes to the
 * server as typed: `42` is the number (or the string if no number is stored), `"42"` forces the string
 * (see `src/rest/README.md`).
 */
export class StateLookupView {
  readonly element: HTMLFormElement;
  private readonly uid: HTMLSelectElement;
  private readonly stateName: HTMLInputElement;
  private readonly key: HTMLInputElement;
  private readonly result: HTMLPreElement;
  private uids = '';

  constructor(
    private readonly fetchRoute: FetchRoute,
    private readonly jobId: () => string | undefined,
  ) {
    this.uid = el('select', { name: 'uid', 'aria-label': 'operator uid' });
    this.stateName = el('input', { name: 'state', placeholder: 'state name, or windows', 'aria-label': 'state name', required: '' });
    this.key = el('input', { name: 'key', placeholder: 'key, e.g. 42 or "42"', 'aria-label': 'key', required: '' });
    this.result = el('pre', { class: 'state-result', 'aria-live': 'polite' });
    this.element = el(
      'form',
      { class: 'state-lookup' },
      el('label', {}, 'Operator ', this.uid),
      el('label', {}, 'State ', this.stateName),
      el('label', {}, 'Key ', this.key),
      el('button', { type: 'submit' }, 'Look up'),
      this.result,
    );
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.lookUp();
    });
    this.uid.addEventListener('change', () => this.suggestStateName());
  }

  /** Offers the operators of the selected job; keeps the user's choice while it still exists. */
  setOperators(vertices: Vertex[]): void {
    const keyed = vertices.filter((v) => v.implementation !== 'source');
    const uids = keyed.map((v) => v.id).join('\u0000');
    if (uids === this.uids) return;
    this.uids = uids;
    const previous = this.uid.value;
    this.uid.replaceChildren(...keyed.map((v) => el('option', { value: v.id, 'data-implementation': v.implementation }, `${v.id} — ${v.name}`)));
    if (keyed.some((v) => v.id === previous)) this.uid.value = previous;
    this.suggestStateName();
  }

  private suggestStateName(): void {
    if (this.stateName.value !== '' && this.stateName.dataset.suggested !== 'true') return;
    const implementation = this.uid.selectedOptions[0]?.dataset.implementation ?? '';
    const suggestion = /window/i.test(implementation) ? 'windows' : implementation === 'rollingReduce' ? 'reduce' : '';
    this.stateName.value = suggestion;
    this.stateName.dataset.suggested = 'true';
  }

  async lookUp(): Promise<void> {
    const jobId = this.jobId();
    if (jobId === undefined) return void this.show('error', 'Select a job first.');
    const target = `/jobs/${encodeURIComponent(jobId)}/state/${encodeURIComponent(this.uid.value)}/${encodeURIComponent(this.stateName.value)}?key=${encodeURIComponent(this.key.value)}`;
    try {
      const { status, json } = await this.fetchRoute('GET', target);
      if (status !== 200) return void this.show('error', errorText(status, json));
      this.show('ok', JSON.stringify(json, null, 2));
    } catch (error) {
      this.show('error', `Lookup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private show(kind: 'ok' | 'error', text: string): void {
    this.result.className = `state-result ${kind}`;
    this.result.textContent = text;
  }
}
