/**
 * How the `key` query parameter of the state routes names a key. A job's keys are strings or numbers,
 * and `keyBy` keeps them apart (the number 42 and the string "42" are different keys), but a query
 * parameter is always text. The rule:
 *
 * - `key="42"` (a JSON string literal, quotes included, URL-encoded as `%2242%22`) is the string `42`.
 *   This is the way to ask for a string that looks like a number, or for the empty string (`key=""`).
 * - `key=42`, `key=-1.5`, `key=1e3`: text that is a JSON number and finite is tried as that number
 *   first; if nothing is stored under the number, as the string (`"42"`).
 * - anything else (`key=alice`) is the string as given.
 *
 * A missing or empty `key`, or a quoted key that is not valid JSON, is malformed (400).
 */
export type StateKeyQuery =
  | { kind: 'ok'; candidates: Array<string | number> }
  | { kind: 'malformed'; message: string };

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export function parseStateKey(raw: string | undefined): StateKeyQuery {
  if (raw === undefined) return { kind: 'malformed', message: "missing query parameter 'key' (e.g. ?key=42, or ?key=\"42\" to force the string)" };
  if (raw === '') return { kind: 'malformed', message: "empty query parameter 'key' (use ?key=\"\" for the empty string)" };
  if (raw.startsWith('"')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'string') return { kind: 'malformed', message: `malformed key ${raw}: a key starting with '"' must be a complete JSON string, like "42"` };
    return { kind: 'ok', candidates: [parsed] };
  }
  if (JSON_NUMBER.test(raw)) {
    const n = Number(raw);
    if (Number.isFinite(n)) return { kind: 'ok', candidates: [n, raw] };
  }
  return { kind: 'ok', candidates: [raw] };
}
