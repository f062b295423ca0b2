/**
 * JSON for REST responses. JSON has no Infinity, NaN, bigint, Map or Set, but job data does (an
 * operator's watermark is -Infinity before the first one and +Infinity at the end of bounded input), so:
 * a non-finite number becomes its name as a string (`"-Infinity"`, `"Infinity"`, `"NaN"`), a bigint its
 * decimal string, a Map an object (or `[key, value]` pairs when a key is not a string or number), a Set
 * an array. Clients read a watermark as `typeof w === 'string' ? Number(w) : w`.
 *
 * ```ts
 * encodeJson({ watermark: -Infinity }); // '{"watermark":"-Infinity"}'
 * ```
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replacer) ?? 'null';
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value instanceof Map) {
    const entries = [...value];
    return entries.every(([k]) => typeof k === 'string' || typeof k === 'number') ? Object.fromEntries(entries) : entries;
  }
  if (value instanceof Set) return [...value];
  return value;
}
