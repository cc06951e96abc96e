/**
 * Path routing for `/api/...`, done on the raw path (reference §1.1, §7.8): split on `/` first,
 * then decode each segment the way the service (ASP.NET Core) does — `%2F` stays literal
 * (`tenant%2Falice` is the user id `tenant%2Falice`), everything else is percent-decoded,
 * `+` stays `+`. Action segments (`:send`, …) are literal.
 */
import { badRequest } from './errors.ts';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface RouteMatch<R> {
  route: R;
  params: Record<string, string>;
}

export function decodeSegment(segment: string): string {
  try {
    return segment
      .split(/%2F/i)
      .map((part) => decodeURIComponent(part))
      .join('%2F');
  } catch {
    throw badRequest('The request path is not valid percent-encoding.');
  }
}

interface Entry<R> {
  method: Method;
  parts: string[];
  route: R;
}

export class Router<R extends { method: Method; path: string }> {
  readonly #entries: Entry<R>[] = [];

  constructor(routes: readonly R[]) {
    for (const route of routes) this.#entries.push({ method: route.method, parts: route.path.split('/'), route });
  }

  /** `segments` are the raw path segments after `/api/`. Returns undefined (404) or 'method' (405). */
  match(method: string, segments: readonly string[]): RouteMatch<R> | 'method' | undefined {
    let methodMismatch = false;
    for (const e of this.#entries) {
      if (e.parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < e.parts.length && ok; i++) {
        const p = e.parts[i]!;
        const s = segments[i]!;
        if (p.startsWith('{')) {
          if (s.length === 0) ok = false;
          else params[p.slice(1, -1)] = s;
        } else if (p.toLowerCase() !== s.toLowerCase()) {
          ok = false;
        }
      }
      if (!ok) continue;
      if (e.method !== method) {
        methodMismatch = true;
        continue;
      }
      for (const k of Object.keys(params)) params[k] = decodeSegment(params[k]!);
      return { route: e.route, params };
    }
    return methodMismatch ? 'method' : undefined;
  }
}

/** Query string as the service reads it: names case-insensitive, repeated names are arrays. */
export class Query {
  readonly #values = new Map<string, string[]>();

  constructor(search: string) {
    for (const [k, v] of new URLSearchParams(search)) {
      const key = k.toLowerCase();
      const list = this.#values.get(key);
      if (list) list.push(v);
      else this.#values.set(key, [v]);
    }
  }

  all(name: string): string[] {
    return this.#values.get(name.toLowerCase()) ?? [];
  }

  get(name: string): string | undefined {
    return this.#values.get(name.toLowerCase())?.[0];
  }
}
