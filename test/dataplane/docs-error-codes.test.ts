/** docs/web-pubsub.md lists every code of the data plane's error catalogue. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ACK_ERROR_NAMES, CODES } from '../../src/dataplane/webpubsub/errors.ts';

test('every data-plane error code and ack error name is on the docs page', () => {
  const page = readFileSync(new URL('../../docs/web-pubsub.md', import.meta.url), 'utf8');
  for (const code of Object.values(CODES)) assert.ok(page.includes(`\`${code}\``), `${code} is missing from docs/web-pubsub.md`);
  for (const name of Object.values(ACK_ERROR_NAMES)) {
    assert.ok(page.includes(`ack \`${name}\``), `ack ${name} is missing from docs/web-pubsub.md`);
  }
});
