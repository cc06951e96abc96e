/**
 * The PostgreSQL store's pure parts, which need no server: the NOTIFY payload codec and the
 * store URL's checks and redaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNotification, encodeChange } from '../../src/store/postgres-feed.ts';
import { parseStoreUrl, PostgresStoreError, redactStoreUrl } from '../../src/store/postgres-errors.ts';

test('a change round-trips through its notification payload, with and without a parent', () => {
  for (const change of [
    { op: 'put' as const, kind: 'k', id: 'a', parent: 'p' },
    { op: 'delete' as const, kind: 'k', id: 'ü "quoted"' },
  ]) {
    assert.deepEqual(decodeNotification(encodeChange(change, 'node.1')), { origin: 'node.1', change });
  }
});

test('a change that would not fit into NOTIFY (8000 bytes, counted in UTF-8) is sent as a resync', () => {
  const fits = encodeChange({ op: 'put', kind: 'k', id: 'x'.repeat(7000) }, 'o.1');
  assert.equal(decodeNotification(fits)?.change?.id.length, 7000);
  const tooManyBytes = encodeChange({ op: 'put', kind: 'k', id: '€'.repeat(3000) }, 'o.2'); // 3000 chars, 9000 bytes
  assert.deepEqual(decodeNotification(tooManyBytes), { origin: 'o.2' });
  assert.ok(Buffer.byteLength(tooManyBytes) < 8000);
});

test('payloads not shaped like a change are refused', () => {
  for (const junk of [undefined, '', 'not json', 'null', '[]', '{}', '"s"',
    '{"op":"put","kind":"k","id":"a"}',
    '{"op":"drop","kind":"k","id":"a","origin":"o"}',
    '{"op":"put","kind":1,"id":"a","origin":"o"}',
    '{"op":"put","kind":"k","id":"a","parent":5,"origin":"o"}',
    `{"op":"resync","origin":"${'o'.repeat(65)}"}`,
    `{"op":"put","kind":"k","id":"${'x'.repeat(8000)}","origin":"o"}`]) {
    assert.equal(decodeNotification(junk), undefined, String(junk).slice(0, 60));
  }
  assert.deepEqual(decodeNotification('{"op":"put","kind":"k","id":"a","parent":null,"origin":"o"}'),
    { origin: 'o', change: { op: 'put', kind: 'k', id: 'a' } });
});

test('store URLs: accepted forms, refused forms, and passwords never shown', () => {
  for (const url of ['postgresql://u:p@h:5432/db', 'postgres://h/db', 'POSTGRESQL://h/db?sslmode=require', 'postgresql:///db?host=/var/run/postgresql']) {
    assert.equal(parseStoreUrl(url), url);
  }
  const refused = (url: string) => assert.throws(() => parseStoreUrl(url),
    (e: unknown) => e instanceof PostgresStoreError && e.code === 'StoreUrlInvalid' && !e.message.includes('s3cret'));
  refused('mysql://u:s3cret@h/db');
  refused('/var/lib/lapis.db');
  refused(`postgresql://h/${'d'.repeat(2040)}`);
  refused('postgresql://u:s3cret@[bad/db');

  assert.equal(redactStoreUrl('postgresql://lapis:s3cret@db.example:5432/lapis'), 'postgresql://lapis:***@db.example:5432/lapis');
  assert.equal(redactStoreUrl('postgres://h/db?password=s3cret&sslmode=require'), 'postgres://h/db?password=***&sslmode=require');
  assert.equal(redactStoreUrl('postgres://h/db'), 'postgres://h/db');
  assert.equal(redactStoreUrl('::not a url s3cret'), '(unparsable URL)');
});
