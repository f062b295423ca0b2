/**
 * Matches a request path against a fixed table of routes. Nothing is resolved against a file system
 * or normalised: a path either matches a pattern segment by segment or it does not, and segments that
 * could mean something else somewhere else (`..`, `.`, encoded slashes, control characters) are refused.
 *
 * ```ts
 * const table = new RouteTable<string>([{ method: 'GET', pattern: '/jobs/:jobId', handler: 'job' }]);
 * table.match('GET', '/jobs/abc'); // { kind: 'match', handler: 'job', params: { jobId: 'abc' } }
 * ```
 */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface Route<H> {
  method: HttpMethod;
  /** Literal segments and `:name` parameters, e.g. `/jobs/:jobId/checkpoints`. */
  pattern: string;
  handler: H;
}

export type RouteMatch<H> =
  | { kind: 'match'; handler: H; params: Record<string, string>; pattern: string }
  /** The path is a known resource, but not for this method. */
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' }
  /** The path cannot be a resource name at all (malformed escape, `..`, an encoded slash). */
  | { kind: 'bad-path'; reason: string };

interface CompiledRoute<H> extends Route<H> {
  segments: Array<{ literal: string } | { param: string }>;
}

export class RouteTable<H> {
  private readonly routes: Array<CompiledRoute<H>>;

  constructor(routes: Array<Route<H>>) {
    this.routes = routes.map((r) => ({
      ...r,
      segments: r.pattern
        .split('/')
        .slice(1)
        .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s })),
    }));
  }

  match(method: string, path: string): RouteMatch<H> {
    const split = splitPath(path);
    if (split.kind === 'bad-path') return split;
    const segments = split.segments;
    const allowed = new Set<HttpMethod>();
    // Literal segments win over parameters (`/jobs/overview` before `/jobs/:jobId`): try the routes
    // with more literals first.
    const candidates = this.routes
      .filter((r) => r.segments.length === segments.length)
      .map((r) => ({ route: r, params: bind(r, segments) }))
      .filter((c): c is { route: CompiledRoute<H>; params: Record<string, string> } => c.params !== undefined)
      .sort((a, b) => literalCount(b.route) - literalCount(a.route));
    if (candidates.length === 0) return { kind: 'not-found' };
    const bestLiterals = literalCount(candidates[0]!.route);
    for (const { route, params } of candidates) {
      if (literalCount(route) !== bestLiterals) break;
      if (route.method === method) return { kind: 'match', handler: route.handler, params, pattern: route.pattern };
      allowed.add(route.method);
    }
    return { kind: 'method-not-allowed', allowed: [...allowed] };
  }
}

function literalCount(route: CompiledRoute<unknown>): number {
  return route.segments.filter((s) => 'literal' in s).length;
}

function bind(route: CompiledRoute<unknown>, segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const pattern = route.segments[i]!;
    if ('literal' in pattern) {
      if (pattern.literal !== segments[i]) return undefined;
    } else params[pattern.param] = segments[i]!;
  }
  return params;
}

function splitPath(path: string): { kind: 'ok'; segments: string[] } | { kind: 'bad-path'; reason: string } {
  if (typeof path !== 'string' || !path.startsWith('/')) return { kind: 'bad-path', reason: `path must start with '/', got ${JSON.stringify(path)}` };
  if (path.includes('?') || path.includes('#')) return { kind: 'bad-path', reason: 'the path must not contain a query or fragment (pass the query separately)' };
  // One trailing slash is tolerated (`/jobs/`); empty segments elsewhere (`/jobs//x`) are not.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const raw = trimmed === '/' ? [''] : trimmed.split('/').slice(1);
  const segments: string[] = [];
  for (const segment of raw) {
    if (segment === '' && raw.length > 1) return { kind: 'bad-path', reason: 'empty path segment' };
    if (/%(2f|5c|00)/i.test(segment)) return { kind: 'bad-path', reason: `encoded '/', '\\' or NUL in path segment ${JSON.stringify(segment)}` };
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { kind: 'bad-path', reason: `malformed percent-encoding in path segment ${JSON.stringify(segment)}` };
    }
    if (decoded === '.' || decoded === '..') return { kind: 'bad-path', reason: `'${decoded}' is not allowed in paths` };
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f\\]/.test(decoded)) return { kind: 'bad-path', reason: `control character or backslash in path segment ${JSON.stringify(segment)}` };
    segments.push(decoded);
  }
  return { kind: 'ok', segments };
}
