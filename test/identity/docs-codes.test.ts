// One error catalogue per surface, each code listed on its docs page (issue 10 §6): identity
// (Entra AADSTS codes and managed-identity errors) and Graph on docs/identity.md, ARM on
// docs/management.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E, EntraError, MI, ManagedIdentityError } from '../../src/identity/errors.ts';
import { ARM, ARM_AUTH_CODES, ArmError } from '../../src/control/arm/errors.ts';
import { GE, GraphError } from '../../src/control/graph/errors.ts';
import { MSI_ERROR } from '../../src/control/arm/identities.ts';

const doc = (name: string) => readFileSync(join(import.meta.dirname, '..', '..', 'docs', name), 'utf8');
type Maker = (...a: unknown[]) => unknown;

test('docs/identity.md lists every AADSTS code of the identity catalogue, and every managed-identity error', () => {
  const page = doc('identity.md');
  const codes = new Set<number>();
  for (const make of Object.values(E) as Maker[]) {
    const err = make('x', 'y', 'z');
    assert.ok(err instanceof EntraError);
    codes.add(err.aadsts);
  }
  assert.deepEqual([...codes].filter((c) => !page.includes(`| ${c} |`)), [], 'AADSTS codes missing from the tables');
  const mi = new Set<string>();
  for (const make of Object.values(MI) as Maker[]) {
    const err = make === (MI.refused as unknown) ? MI.refused(E.wrongPassword()) : make('x', 'y');
    assert.ok(err instanceof ManagedIdentityError);
    if (make !== (MI.refused as unknown)) mi.add(err.error);
  }
  assert.deepEqual([...mi].filter((c) => !page.includes(`\`${c}\``)), []);
});

test('docs/management.md lists every ARM error code', () => {
  const page = doc('management.md');
  const codes = new Set<string>(ARM_AUTH_CODES);
  for (const [name, make] of Object.entries(ARM) as [string, Maker][]) {
    if (name === 'unauthenticated') continue;
    const err = name === 'linkedAuthorizationFailed'
      ? ARM.linkedAuthorizationFailed({ client: 'c', objectId: 'o', action: 'a', scope: 's', linkedAction: 'l', linkedScope: 'ls' })
      : name === 'invalidApiVersion' ? ARM.invalidApiVersion('x')
        : make('x', 'y', ['z'], 'w');
    assert.ok(err instanceof ArmError, name);
    codes.add(err.code);
  }
  assert.deepEqual([...codes].filter((c) => !page.includes(`\`${c}\``)), []);
});

test('docs/management.md lists every Microsoft.ManagedIdentity error code', () => {
  const page = doc('management.md');
  const codes = Object.values(MSI_ERROR).map((make) => (make as (a: string, b: string) => ArmError)('x', 'y').code);
  assert.deepEqual(codes.filter((c) => !page.includes(`\`${c}\``)), []);
});

test('docs/identity.md lists every Graph error code', () => {
  const page = doc('identity.md');
  const codes = new Set<string>();
  for (const make of Object.values(GE) as Maker[]) {
    const err = make('x', 'y');
    assert.ok(err instanceof GraphError);
    codes.add(err.code);
  }
  assert.deepEqual([...codes].filter((c) => !page.includes(`\`${c}\``)), []);
});
