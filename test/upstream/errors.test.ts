/** The upstream error catalogue: one module, stable codes, each listed on docs/upstream.md. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  EventHandlerSettingsError, HandlerUnavailable, HttpCallError, KeyVaultReferenceError, ManagedIdentityUnavailable,
  TargetRefused, UPSTREAM_ERROR_CODES, UpstreamError,
} from '../../src/upstream/index.ts';

test('every upstream error class carries a catalogue code', () => {
  const cases: [UpstreamError, string][] = [
    [new EventHandlerSettingsError('urlTemplate', 'x'), 'EventHandlerSettingsInvalid'],
    [new KeyVaultReferenceError('x'), 'KeyVaultReferenceFailed'],
    [new ManagedIdentityUnavailable('x'), 'ManagedIdentityUnavailable'],
    [new TargetRefused('x'), 'UpstreamTargetRefused'],
    [new HttpCallError('timeout', 'x'), 'UpstreamTimeout'],
    [new HttpCallError('network', 'x', true), 'UpstreamNetworkError'],
    [new HttpCallError('too-large', 'x'), 'UpstreamResponseTooLarge'],
    [new HttpCallError('refused', 'x'), 'UpstreamTargetRefused'],
    [new HttpCallError('queue-full', 'x'), 'UpstreamQueueFull'],
    [new HandlerUnavailable('AbuseProtectionFailed', 'x'), 'AbuseProtectionFailed'],
  ];
  for (const [err, code] of cases) {
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.code, code);
    assert.ok((UPSTREAM_ERROR_CODES as readonly string[]).includes(err.code));
  }
});

test('docs/upstream.md lists every code', () => {
  const doc = readFileSync(new URL('../../docs/upstream.md', import.meta.url), 'utf8');
  for (const code of UPSTREAM_ERROR_CODES) assert.ok(doc.includes(`| \`${code}\` |`), `${code} is in the docs' error table`);
});
