import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSealer, loadMasterKey, SealingError } from '../../src/store/sealing.ts';

test('sealed values open only with the same key and the same context', () => {
  const key = randomBytes(32);
  const sealer = createSealer(key);
  const sealed = sealer.seal('s3cret', 'resourceKey/a');
  assert.ok(sealer.isSealed(sealed));
  assert.ok(!sealed.includes('s3cret'));
  assert.notEqual(sealer.seal('s3cret', 'resourceKey/a'), sealed, 'a fresh IV each time');
  assert.equal(sealer.open(sealed, 'resourceKey/a'), 's3cret');
  assert.throws(() => sealer.open(sealed, 'resourceKey/b'), (e: unknown) => e instanceof SealingError && e.code === 'SealedValueInvalid');
  assert.throws(() => createSealer(randomBytes(32)).open(sealed, 'resourceKey/a'), (e: unknown) => e instanceof SealingError && e.code === 'WrongMasterKey');
  const parts = sealed.split('.');
  parts[2] = Buffer.from('tampered').toString('base64url');
  assert.throws(() => sealer.open(parts.join('.'), 'resourceKey/a'), /does not open/);
  assert.throws(() => sealer.open('lapis-sealed:v1:x.y', 'c'), /malformed/);
  assert.equal(sealer.open('legacy-plaintext', 'c'), 'legacy-plaintext', 'values from before sealing pass through');
});

test('the master key: generated once in the data directory (owner-only), or given as a file or base64', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lapis-seal-'));
  try {
    const first = loadMasterKey({ dataDir: dir });
    assert.equal(first.origin, 'dataDir');
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
    assert.deepEqual(loadMasterKey({ dataDir: dir }).key, first.key, 'the same key on the next start');
    const b64 = randomBytes(32).toString('base64');
    writeFileSync(join(dir, 'given.key'), `${b64}\n`);
    assert.equal(loadMasterKey({ dataDir: dir, file: join(dir, 'given.key') }).key.toString('base64'), b64);
    assert.equal(loadMasterKey({ dataDir: dir, env: b64 }).origin, 'env');
    assert.throws(() => loadMasterKey({ dataDir: dir, env: 'c2hvcnQ=' }), (e: unknown) => e instanceof SealingError && e.code === 'MasterKeyInvalid');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
