/**
 * The OData filter subset of the Web PubSub REST API (reference §1.7): identifiers `userId`,
 * `connectionId`, `protocol` (strings) and `groups` (collection); `eq ne gt ge lt le in and or not`,
 * parentheses, string/number/bool/null literals, and the string functions. Compiled once into a
 * closure; an invalid filter throws `FilterSyntaxError` carrying the 0-based position.
 */
import type { ConnectionFilter, FilterSubject } from '../../messaging/index.ts';

export class FilterSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`Invalid filter: ${message} at position ${position}.`);
    this.position = position;
  }
}

type Value = string | number | boolean | null | readonly string[];
type Eval = (s: FilterSubject) => Value;
type Type = 'string' | 'number' | 'bool' | 'null' | 'collection' | 'any';
interface Node {
  ev: Eval;
  type: Type;
  pos: number;
}

type Token =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'word'; value: string; pos: number }
  | { kind: 'punct'; value: '(' | ')' | ','; pos: number }
  | { kind: 'end'; pos: number };

const MAX_LENGTH = 4096;
const MAX_NODES = 400;
const MAX_DEPTH = 40;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      out.push({ kind: 'punct', value: ch, pos: i });
      i++;
    } else if (ch === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new FilterSyntaxError('unterminated string literal', start);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i];
        i++;
      }
      out.push({ kind: 'string', value, pos: start });
    } else if (/[0-9-]/.test(ch)) {
      const m = /^-?\d+(?:\.\d+)?/.exec(src.slice(i));
      if (!m) throw new FilterSyntaxError(`unexpected character '${ch}'`, i);
      out.push({ kind: 'number', value: Number(m[0]), pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: 'word', value: m[0], pos: i });
      i += m[0].length;
    } else {
      throw new FilterSyntaxError(`unexpected character '${ch}'`, i);
    }
  }
  out.push({ kind: 'end', pos: src.length });
  return out;
}

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

const IDENTIFIERS: Record<string, { type: Type; get: Eval }> = {
  userid: { type: 'string', get: (s) => s.userId ?? null },
  connectionid: { type: 'string', get: (s) => s.connectionId },
  protocol: { type: 'string', get: (s) => s.protocol },
  groups: { type: 'collection', get: (s) => [...s.groups] },
};

const str = (v: Value): v is string => typeof v === 'string';

/** name → [min args, max args, result type, implementation] */
const FUNCTIONS: Record<string, [number, number, Type, (a: Value[]) => Value]> = {
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

class Parser {
  readonly #t: Token[];
  #i = 0;
  #nodes = 0;
  #depth = 0;

  constructor(tokens: Token[]) {
    this.#t = tokens;
  }

  get #peek(): Token {
    return this.#t[this.#i]!;
  }

  #isWord(w: string): boolean {
    const t = this.#peek;
    return t.kind === 'word' && t.value.toLowerCase() === w;
  }

  #expectPunct(p: '(' | ')' | ','): void {
    const t = this.#peek;
    if (t.kind !== 'punct' || t.value !== p) throw this.#unexpected(`'${p}'`);
    this.#i++;
  }

  #unexpected(expected: string): FilterSyntaxError {
    const t = this.#peek;
    const what = t.kind === 'end' ? 'end of filter' : `'${'value' in t ? String(t.value) : ''}'`;
    return new FilterSyntaxError(`expected ${expected} but found ${what}`, t.pos);
  }

  #count(pos: number): void {
    if (++this.#nodes > MAX_NODES) throw new FilterSyntaxError('the filter is too complex', pos);
  }

  parse(): Node {
    const n = this.#or();
    if (this.#peek.kind !== 'end') throw this.#unexpected('an operator');
    return n;
  }

  #or(): Node {
    let left = this.#and();
    while (this.#isWord('or')) {
      const pos = this.#peek.pos;
      this.#i++;
      const right = this.#and();
      bool(left, 'or');
      bool(right, 'or');
      const l = left.ev;
      const r = right.ev;
      this.#count(pos);
      left = { ev: (s) => l(s) === true || r(s) === true, type: 'bool', pos };
    }
    return left;
  }

  #and(): Node {
    let left = this.#not();
    while (this.#isWord('and')) {
      const pos = this.#peek.pos;
      this.#i++;
      const right = this.#not();
      bool(left, 'and');
      bool(right, 'and');
      const l = left.ev;
      const r = right.ev;
      this.#count(pos);
      left = { ev: (s) => l(s) === true && r(s) === true, type: 'bool', pos };
    }
    return left;
  }

  #not(): Node {
    if (this.#isWord('not')) {
      const pos = this.#peek.pos;
      this.#i++;
      if (++this.#depth > MAX_DEPTH) throw new FilterSyntaxError('the filter is nested too deeply', pos);
      const inner = this.#not();
      this.#depth--;
      bool(inner, 'not');
      const e = inner.ev;
      return { ev: (s) => e(s) !== true, type: 'bool', pos };
    }
    return this.#comparison();
  }

  #comparison(): Node {
    const left = this.#primary();
    const t = this.#peek;
    if (t.kind === 'word' && COMPARISONS.has(t.value.toLowerCase())) {
      this.#i++;
      const right = this.#primary();
      this.#count(t.pos);
      return { ev: compare(t.value.toLowerCase(), left.ev, right.ev), type: 'bool', pos: t.pos };
    }
    if (t.kind === 'word' && t.value.toLowerCase() === 'in') {
      this.#i++;
      this.#count(t.pos);
      const right = this.#inTarget();
      if (right.type !== 'collection' && right.type !== 'any') {
        throw new FilterSyntaxError("the right side of 'in' must be a collection", right.pos);
      }
      const l = left.ev;
      const r = right.ev;
      return {
        ev: (s) => {
          const v = l(s);
          const c = r(s);
          return Array.isArray(c) && typeof v === 'string' && c.includes(v);
        },
        type: 'bool',
        pos: t.pos,
      };
    }
    return left;
  }

  /** After `in`: a parenthesised literal list `('a','b')` or a collection expression (`groups`). */
  #inTarget(): Node {
    const t = this.#peek;
    if (t.kind === 'punct' && t.value === '(') {
      this.#i++;
      const items: string[] = [];
      for (;;) {
        const lit = this.#peek;
        if (lit.kind !== 'string') throw this.#unexpected('a string literal');
        items.push(lit.value);
        this.#i++;
        if (this.#peek.kind === 'punct' && (this.#peek as { value: string }).value === ',') {
          this.#i++;
          continue;
        }
        this.#expectPunct(')');
        break;
      }
      return { ev: () => items, type: 'collection', pos: t.pos };
    }
    return this.#primary();
  }

  #primary(): Node {
    const t = this.#peek;
    switch (t.kind) {
      case 'string':
        this.#i++;
        return { ev: () => t.value, type: 'string', pos: t.pos };
      case 'number':
        this.#i++;
        return { ev: () => t.value, type: 'number', pos: t.pos };
      case 'punct': {
        if (t.value !== '(') throw this.#unexpected('an operand');
        this.#i++;
        if (++this.#depth > MAX_DEPTH) throw new FilterSyntaxError('the filter is nested too deeply', t.pos);
        const inner = this.#or();
        this.#depth--;
        this.#expectPunct(')');
        return inner;
      }
      case 'word': {
        const w = t.value.toLowerCase();
        this.#i++;
        if (w === 'true' || w === 'false') return { ev: () => w === 'true', type: 'bool', pos: t.pos };
        if (w === 'null') return { ev: () => null, type: 'null', pos: t.pos };
        const next = this.#peek;
        if (next.kind === 'punct' && next.value === '(') return this.#call(w, t.pos);
        const id = IDENTIFIERS[w];
        if (!id) throw new FilterSyntaxError(`unknown identifier '${t.value}'`, t.pos);
        return { ev: id.get, type: id.type, pos: t.pos };
      }
      case 'end':
        throw this.#unexpected('an operand');
    }
  }

  #call(name: string, pos: number): Node {
    const fn = FUNCTIONS[name];
    if (!fn) throw new FilterSyntaxError(`unknown function '${name}'`, pos);
    this.#expectPunct('(');
    const args: Node[] = [];
    if (!(this.#peek.kind === 'punct' && (this.#peek as { value: string }).value === ')')) {
      for (;;) {
        args.push(this.#or());
        if (this.#peek.kind === 'punct' && (this.#peek as { value: string }).value === ',') {
          this.#i++;
          continue;
        }
        break;
      }
    }
    this.#expectPunct(')');
    const [min, max, type, impl] = fn;
    if (args.length < min || args.length > max) {
      throw new FilterSyntaxError(`function '${name}' takes ${min === max ? min : `${min} to ${max}`} argument(s)`, pos);
    }
    this.#count(pos);
    const evs = args.map((a) => a.ev);
    return { ev: (s) => impl(evs.map((e) => e(s))), type, pos };
  }
}

function bool(n: Node, op: string): void {
  if (n.type !== 'bool' && n.type !== 'any') {
    throw new FilterSyntaxError(`the operand of '${op}' must be a boolean expression`, n.pos);
  }
}

function compare(op: string, l: Eval, r: Eval): Eval {
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

export function compileODataFilter(expression: string): ConnectionFilter {
  if (expression.length > MAX_LENGTH) throw new FilterSyntaxError(`the filter is longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  const node = new Parser(tokenize(expression)).parse();
  if (node.type !== 'bool' && node.type !== 'any') {
    throw new FilterSyntaxError('the filter must be a boolean expression', node.pos);
  }
  const ev = node.ev;
  return (s) => ev(s) === true;
}
