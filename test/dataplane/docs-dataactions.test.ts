import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routes } from '../../src/dataplane/webpubsub/routes.ts';

/** docs/rbac.md promises each REST route's DataAction; this keeps the table and the code in step. */
test('the DataAction table in docs/rbac.md matches every data-plane route', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'rbac.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Data-plane routes and their DataActions'));
  const documented = new Map<string, string>();
  for (const m of section.matchAll(/^\| [^|]+ \| `(GET|HEAD|POST|PUT|DELETE) \/api\/([^`]+)` \| `([^`]+)` \|$/gm)) {
    documented.set(`${m[1]} ${m[2]}`, `Microsoft.SignalRService/WebPubSub/${m[3]}`);
  }
  const actual = new Map(routes.map((r) => [`${r.method} ${r.path}`, r.dataAction]));
  assert.ok(actual.size >= 20, 'the route table was read');
  assert.deepEqual([...documented.entries()].sort(), [...actual.entries()].sort());
});
