/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line must
 * be a HELP, a TYPE or a sample of a declared family, label values properly quoted and escaped,
 * values numbers; histograms must have cumulative buckets ending in +Inf equal to _count.
 */
import assert from 'node:assert/strict';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** Samples of one metric name whose labels include `match`. */
  find(name: string, match?: Record<string, string>): Sample[];
  /** The sum of those samples' values (0 when none). */
  sum(name: string, match?: Record<string, string>): number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseExposition(text: string): Exposition {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line.slice(0, 120))}`;
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const name = line.slice(7).split(' ')[0]!;
      assert.match(name, NAME, where);
      assert.ok(!helps.has(name), `HELP once per family (${where})`);
      helps.add(name);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, ...rest] = line.slice(7).split(' ');
      assert.match(name!, NAME, where);
      assert.ok(TYPES.has(type!) && rest.length === 0, where);
      assert.ok(!types.has(name!), `TYPE once per family (${where})`);
      types.set(name!, type!);
      continue;
    }
    assert.ok(!line.startsWith('#'), `no other comments (${where})`);
    const m = SAMPLE.exec(line);
    assert.ok(m, `a sample line (${where})`);
    const [, name, labelText, valueText] = m;
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText !== '') {
      LABEL.lastIndex = 0;
      while (LABEL.lastIndex < labelText.length) {
        const start = LABEL.lastIndex;
        const l = LABEL.exec(labelText);
        assert.ok(l && l.index === start, `well-formed labels (${where})`);
        assert.ok(!(l[1]! in labels), `no repeated label (${where})`);
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
    assert.ok(valueText !== '' && (!Number.isNaN(value) || valueText === 'NaN'), `a numeric value (${where})`);
    const family = familyOf(name!, types);
    assert.ok(family, `the sample's family has a TYPE before it (${where})`);
    samples.push({ name: name!, labels, value });
  }
  checkHistograms(types, samples);
  const find = (name: string, match: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return { types, samples, find, sum: (name, match) => find(name, match).reduce((a, s) => a + s.value, 0) };
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    if (base && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
  }
  return undefined;
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      assert.ok(le !== undefined, `${family}_bucket has le`);
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      let last = -1;
      for (const b of buckets) {
        assert.ok(b.value >= last, `${family} buckets are cumulative (${key})`);
        last = b.value;
      }
      assert.equal(buckets.at(-1)!.labels.le, '+Inf', `${family} ends with +Inf (${key})`);
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key);
      assert.ok(count, `${family}_count exists (${key})`);
      assert.equal(count.value, last, `${family} +Inf equals _count (${key})`);
    }
  }
}
