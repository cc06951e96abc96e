/**
 * The OData filter subset of the Web PubSub REST API (reference §1.7): identifiers `userId`,
 * `connectionId`, `protocol` (strings) and `groups` (collection); `eq ne gt ge lt le in and or not`,
 * parentheses, string/number/bool/null literals, and the string functions. Compiled once into a
 * closure; an invalid filter throws `FilterSyntaxError` carrying the 0-based position.
 */
import type { ConnectionFilter } from '../../messaging/index.ts';
import { FilterSyntaxError, tokenize, type Token } from './odata-lexer.ts';
import { COMPARISONS, FUNCTIONS, IDENTIFIERS, bool, compare, type Node } from './odata-semantics.ts';

// Tokens live in odata-lexer.ts, meanings in odata-semantics.ts; the error is re-exported so
// existing importers of this file keep working.
export { FilterSyntaxError };

const MAX_LENGTH = 4096;
const MAX_NODES = 400;
const MAX_DEPTH = 40;

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

export function compileODataFilter(expression: string): ConnectionFilter {
  if (expression.length > MAX_LENGTH) throw new FilterSyntaxError(`the filter is longer than ${MAX_LENGTH} characters`, MAX_LENGTH);
  const node = new Parser(tokenize(expression)).parse();
  if (node.type !== 'bool' && node.type !== 'any') {
    throw new FilterSyntaxError('the filter must be a boolean expression', node.pos);
  }
  const ev = node.ev;
  return (s) => ev(s) === true;
}
