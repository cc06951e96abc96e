// Secrets at rest (issue 13), identity side, through a real node: the token-signing private keys
// in the store are sealed under the node's master key; a copy of the database alone holds no key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startTestLapis } from '../helpers/lapis.ts';
import { scrubAzureEnv } from './support.ts';

test('a node stores its signing keys sealed; the database holds no private key in plain text', async () => {
  scrubAzureEnv();
  const dataDir = mkdtempSync(join(tmpdir(), 'lapis-sealed-'));
  try {
    const lapis = await startTestLapis({ dataDir });
    const kid = lapis.node.identity.keys.current().kid;
    await lapis.stop();

    const db = new DatabaseSync(join(dataDir, 'lapis.db'), { readOnly: true });
    try {
      const rows = db.prepare("SELECT id, doc FROM lapis_objects WHERE kind = 'identity.signingKey'").all();
      assert.ok(rows.some((r) => r.id === kid), 'the key the node signed with is stored');
      for (const r of rows) {
        const doc = JSON.parse(String(r.doc)) as { privateKeyPem: string };
        assert.ok(doc.privateKeyPem.startsWith('lapis-sealed:v1:'), 'sealed');
      }
      const identityRows = db.prepare("SELECT doc FROM lapis_objects WHERE kind LIKE 'identity.%'").all();
      for (const r of identityRows) assert.doesNotMatch(String(r.doc), /PRIVATE KEY/);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
