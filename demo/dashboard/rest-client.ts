import type { RestHandler } from '../../src/rest/rest-routes.ts';
import { splitRequestTarget } from '../../src/rest/request-target.ts';

/**
 * How the dashboard reaches the REST routes: over HTTP from the page the REST server serves, or
 * in-page (the demo embeds the dashboard next to jobs running in the same tab, with no server).
 *
 * ```ts
 * const overHttp = httpFetchRoute('');                        // same origin as the page
 * const inPage = inPageFetchRoute(createRestRoutes());        // the jobs of this page
 * const { status, json } = await overHttp('GET', '/jobs/overview');
 * ```
 */
export type FetchRoute = (method: 'GET' | 'POST' | 'PATCH', target: string, body?: unknown) => Promise<RouteAnswer>;

export interface RouteAnswer {
  status: number;
  /** The parsed JSON body (`{ errors: [...] }` when the status is not 2xx). */
  json: unknown;
}

/** Routes of a REST server at `baseUrl` (`''`: the origin that served the page). */
export function httpFetchRoute(baseUrl: string): FetchRoute {
  const base = baseUrl.replace(/\/$/, '');
  return async (method, target, body) => {
    const res = await fetch(base + target, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };
}

/** The same routes called as a function, without HTTP: `createRestRoutes(...)` of this page. */
export function inPageFetchRoute(routes: RestHandler): FetchRoute {
  return async (method, target, body) => {
    const { path, query } = splitRequestTarget(target);
    const res = await routes({ method, path, query, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: res.body === '' ? null : JSON.parse(res.body) };
  };
}

/** Failure of a route: the server's own message (`errors[0]`) rather than a bare status. */
export class RouteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GET that answers the JSON of a 2xx, or throws a RouteError naming what the server said. */
export async function getJson<T>(fetchRoute: FetchRoute, target: string): Promise<T> {
  const { status, json } = await fetchRoute('GET', target);
  if (status < 200 || status > 299) throw new RouteError(status, errorText(status, json));
  return json as T;
}

export function errorText(status: number, json: unknown): string {
  const errors = (json as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.length > 0 ? `${status}: ${errors.map(String).join('; ')}` : `HTTP ${status}`;
}

/** A watermark or other number as REST sends it: non-finite numbers arrive as their names. */
export function numberOf(value: unknown): number {
  return typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
}
