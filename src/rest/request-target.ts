/**
 * Splits an HTTP request target (`/jobs/abc/state/sum/sum?key=42`) into the raw path and the query,
 * without normalising the path (no `..` resolution, no decoding): the route table judges the path.
 *
 * ```ts
 * splitRequestTarget('/jobs?x=1'); // { path: '/jobs', query: { x: '1' } }
 * ```
 */
export function splitRequestTarget(target: string): { path: string; query: Record<string, string> } {
  const hash = target.indexOf('#');
  const withoutFragment = hash === -1 ? target : target.slice(0, hash);
  const q = withoutFragment.indexOf('?');
  const path = q === -1 ? withoutFragment : withoutFragment.slice(0, q);
  const query: Record<string, string> = {};
  if (q !== -1) {
    // The first occurrence of a repeated parameter wins.
    for (const [name, value] of new URLSearchParams(withoutFragment.slice(q + 1))) if (!(name in query)) query[name] = value;
  }
  return { path, query };
}
