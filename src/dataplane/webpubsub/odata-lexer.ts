/**
 * Tokens of the OData filter subset (see odata-filter.ts): string literals with '' escapes,
 * numbers, words and punctuation. Kept apart from the parser so each file has one job; the
 * syntax error lives here because the lexer is the first to throw it.
 */

export class FilterSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`Invalid filter: ${message} at position ${position}.`);
    this.position = position;
  }
}

export type Token =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'word'; value: string; pos: number }
  | { kind: 'punct'; value: '(' | ')' | ','; pos: number }
  | { kind: 'end'; pos: number };

export function tokenize(src: string): Token[] {
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
