import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileODataFilter, FilterSyntaxError } from '../../src/dataplane/webpubsub/index.ts';

const subject = (userId: string | undefined, groups: string[] = [], connectionId = 'c1', protocol = 'json.webpubsub.azure.v1') =>
  ({ userId, groups: new Set(groups), connectionId, protocol });

test('OData filters evaluate as documented', () => {
  const cases: Array<[string, ReturnType<typeof subject>, boolean]> = [
    ["userId eq 'u1'", subject('u1'), true],
    ["userId ne 'u1'", subject('u1'), false],
    ["UserId eq 'u1'", subject('u1'), true],
    ["userId eq 'vic''s'", subject("vic's"), true],
    ['userId eq null', subject(undefined), true],
    ["'g1' in groups", subject('u', ['g1']), true],
    ["'g2' in groups", subject('u', ['g1']), false],
    ["userId in ('a', 'b')", subject('b'), true],
    ["not ('g1' in groups) and userId eq 'u'", subject('u', ['g2']), true],
    ["userId eq 'x' or connectionId eq 'c1'", subject('u'), true],
    ["tolower(userId) eq 'abc'", subject('ABC'), true],
    ["startswith(userId, 'ad') and endswith(userId, 'in')", subject('admin'), true],
    ["contains(userId, 'mi')", subject('admin'), true],
    ['length(groups) ge 2', subject('u', ['a', 'b']), true],
    ["length(userId) gt 3", subject('abc'), false],
    ["substring(userId, 1, 2) eq 'bc'", subject('abcd'), true],
    ["indexof(userId, 'c') eq 2", subject('abcd'), true],
    ["concat(userId, 'x') eq 'ax'", subject('a'), true],
    ["trim(userId) eq 'a'", subject(' a '), true],
    ["protocol eq 'json.webpubsub.azure.v1'", subject('u'), true],
    ['true', subject('u'), true],
  ];
  for (const [expr, s, expected] of cases) assert.equal(compileODataFilter(expr)(s), expected, expr);
});

test('invalid filters throw with a position', () => {
  const bad: Array<[string, number]> = [
    ["userId eq 'a' and", 17],
    ["userId eq 'unterminated", 10],
    ['userId', 0],
    ["nick eq 'a'", 0],
    ["userId eq 'a' )", 14],
    ["foo(userId) eq 'a'", 0],
    ["startswith(userId) eq true", 0],
    ["userId eq 'a' # 1", 14],
    ["'a' in userId", 7],
  ];
  for (const [expr, pos] of bad) {
    assert.throws(() => compileODataFilter(expr), (e: unknown) => e instanceof FilterSyntaxError && e.position === pos, expr);
  }
  assert.throws(() => compileODataFilter(`${'('.repeat(100)}true${')'.repeat(100)}`), FilterSyntaxError);
  assert.throws(() => compileODataFilter(Array.from({ length: 402 }, () => 'true').join(' or ')), /too complex/);
});
