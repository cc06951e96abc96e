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
  if (!segment.includes('%')) return segment; // nothing encoded: the common case
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
  route: R;
  /** Each parameter's name and the index of its segment. */
  params: readonly (readonly [string, number])[];
}

/** One position of the route tree: literal children (lower-cased once, here), parameter children, and the routes ending here. */
interface Node<R> {
  literals: Map<string, Node<R>>;
  params: Node<R>[];
  /** Routes ending at this node, by method. */
  ends: Map<string, Entry<R>>;
}

const newNode = <R>(): Node<R> => ({ literals: new Map(), params: [], ends: new Map() });

/**
 * The route table as a tree of segments: a request walks it once, one map look-up per literal
 * segment (lower-cased once), instead of comparing itself with every route. A literal child is
 * tried before a parameter at the same position; no two routes of the tables share a shape that
 * would make the order matter.
 */
export class Router<R extends { method: Method; path: string }> {
  readonly #root: Node<R> = newNode();

  constructor(routes: readonly R[]) {
    for (const route of routes) {
      const parts = route.path.split('/');
      const params: [string, number][] = [];
      let node = this.#root;
      parts.forEach((p, i) => {
        if (p.startsWith('{')) {
          params.push([p.slice(1, -1), i]);
          // Parameters of one position share a child whatever their names (the entry keeps the names).
          let child = node.params[0];
          if (!child) node.params.push((child = newNode()));
          node = child;
        } else {
          const key = p.toLowerCase();
          let child = node.literals.get(key);
          if (!child) node.literals.set(key, (child = newNode()));
          node = child;
        }
      });
      // The first route of a shape and method wins, as in a scan of the table in order.
      if (!node.ends.has(route.method)) node.ends.set(route.method, { route, params });
    }
  }

  /** `segments` are the raw path segments after `/api/`. Returns undefined (404) or 'method' (405). */
  match(method: string, segments: readonly string[]): RouteMatch<R> | 'method' | undefined {
    const found = walk(this.#root, segments, 0, method);
    if (found === undefined || found === 'method') return found;
    const params: Record<string, string> = {};
    for (const [name, i] of found.params) params[name] = decodeSegment(segments[i]!);
    return { route: found.route, params };
  }
}

function walk<R>(node: Node<R>, segments: readonly string[], i: number, method: string): Entry<R> | 'method' | undefined {
  if (i === segments.length) return node.ends.get(method) ?? (node.ends.size > 0 ? 'method' : undefined);
  const segment = segments[i]!;
  let fallback: 'method' | undefined;
  if (node.literals.size > 0) {
    const child = node.literals.get(segment.toLowerCase());
    if (child) {
      const r = walk(child, segments, i + 1, method);
      if (r === 'method') fallback = r;
      else if (r) return r;
    }
  }
  // A parameter never matches an empty segment.
  if (segment.length > 0) {
    for (const child of node.params) {
      const r = walk(child, segments, i + 1, method);
      if (r === 'method') fallback = r;
      else if (r) return r;
    }
  }
  return fallback;
}

/** Query string as the service reads it: names case-insensitive, repeated names are arrays. */
export class Query {
  readonly #values = new Map<string, string[]>();

  constructor(search: string) {
    if (search === '') return;
    if (search.includes('%') || search.includes('+')) {
      for (const [k, v] of new URLSearchParams(search)) this.#add(k, v);
      return;
    }
    // Nothing to decode (the usual `api-version=…`): split by hand, as URLSearchParams would.
    let start = search.charCodeAt(0) === 0x3f /* ? */ ? 1 : 0;
    while (start < search.length) {
      let end = search.indexOf('&', start);
      if (end < 0) end = search.length;
      if (end > start) {
        const eq = search.indexOf('=', start);
        if (eq >= 0 && eq < end) this.#add(search.slice(start, eq), search.slice(eq + 1, end));
        else this.#add(search.slice(start, end), '');
      }
      start = end + 1;
    }
  }

  #add(k: string, v: string): void {
    const key = k.toLowerCase();
    const list = this.#values.get(key);
    if (list) list.push(v);
    else this.#values.set(key, [v]);
  }

  /** How many distinct names the query holds. */
  get size(): number {
    return this.#values.size;
  }

  all(name: string): string[] {
    return this.#values.get(name.toLowerCase()) ?? [];
  }

  get(name: string): string | undefined {
    return this.#values.get(name.toLowerCase())?.[0];
  }
}
