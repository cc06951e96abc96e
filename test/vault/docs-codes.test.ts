// Every error code (and inner code) of the vault's catalogue is listed on docs/key-vault.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KV, VaultError } from '../../src/vault/index.ts';

test('docs/key-vault.md lists every vault error code', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'key-vault.md'), 'utf8');
  const codes = new Set<string>();
  for (const make of Object.values(KV) as ((...a: unknown[]) => VaultError)[]) {
    const err = make === (KV.forbiddenByRbac as unknown) ? KV.forbiddenByRbac(['x']) : make('x', 'y', 'z');
    assert.ok(err instanceof VaultError);
    codes.add(err.code);
    if (err.inner) codes.add(err.inner);
  }
  const missing = [...codes].filter((c) => !doc.includes(`\`${c}\``));
  assert.deepEqual(missing, []);
});
