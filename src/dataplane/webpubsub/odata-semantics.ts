/**
 * What the OData filter subset means (see odata-filter.ts): the node type the parser builds,
 * the identifiers and string functions, and how operators evaluate. Kept apart from the parser
 * so the grammar and the semantics can each be read alone.
 */
import type { FilterSubject } from '../../messaging/index.ts';
import { FilterSyntaxError } from './odata-lexer.ts';

export type Value = string | number | boolean | null | readonly string[];
export type Eval = (s: FilterSubject) => Value;
export type Type = 'string' | 'number' | 'bool' | 'null' | 'collection' | 'any';
export interface Node {
  ev: Eval;
  type: Type;
  pos: number;
}

export const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

export const IDENTIFIERS: Record<string, { type: Type; get: Eval }> = {
  userid: { type: 'string', get: (s) => s.userId ?? null },
  connectionid: { type: 'string', get: (s) => s.connectionId },
  protocol: { type: 'string', get: (s) => s.protocol },
  groups: { type: 'collection', get: (s) => [...s.groups] },
};

const str = (v: Value): v is string => typeof v === 'string';

/** name → [min args, max args, result type, implementation] */
export const FUNCTIONS: Record<string, [number, number, Type, (a: Value[]) => Value]> = {
  tolower: [1, 1, 'string', ([a]) => (str(a!) ? a.toLowerCase() : null)],
  toupper: [1, 1, 'string', ([a]) => (str(a!) ? a.toUpperCase() : null)],
  trim: [1, 1, 'string', ([a]) => (str(a!) ? a.trim() : null)],
  concat: [2, 2, 'string', ([a, b]) => (str(a!) && str(b!) ? a + b : null)],
  substring: [2, 3, 'string', ([a, i, n]) =>
    str(a!) && typeof i === 'number' ? (typeof n === 'number' ? a.substr(i, n) : a.substring(i)) : null],
  indexof: [2, 2, 'number', ([a, b]) => (str(a!) && str(b!) ? a.indexOf(b) : null)],
  startswith: [2, 2, 'bool', ([a, b]) => (str(a!) && str(b!) ? a.startsWith(b) : false)],
  endswith: [2, 2, 'bool', ([a, b]) => (str(a!) && str(b!) ? a.endsWith(b) : false)],
  contains: [2, 2, 'bool', ([a, b]) => (str(a!) && str(b!) ? a.includes(b) : false)],
  length: [1, 1, 'number', ([a]) => (str(a!) || Array.isArray(a) ? (a as string | string[]).length : null)],
};

export function bool(n: Node, op: string): void {
  if (n.type !== 'bool' && n.type !== 'any') {
    throw new FilterSyntaxError(`the operand of '${op}' must be a boolean expression`, n.pos);
  }
}

export function compare(op: string, l: Eval, r: Eval): Eval {
  return (s) => {
    const a = l(s);
    const b = r(s);
    if (op === 'eq') return equal(a, b);
    if (op === 'ne') return !equal(a, b);
    if (a === null || b === null || typeof a !== typeof b || Array.isArray(a) || Array.isArray(b)) return false;
    const x = a as string | number | boolean;
    const y = b as string | number | boolean;
    switch (op) {
      case 'gt': return x > y;
      case 'ge': return x >= y;
      case 'lt': return x < y;
      default: return x <= y;
    }
  };
}

function equal(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return false;
  return a === b;
}
