// Scope strings (entra-compat §5.3): parsing, validation with ARM's error codes, case-insensitive
// comparison, and the inheritance chain through the management-group tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessError, ScopeTree, hubScope, parseScope, sameScope } from '../../src/access/index.ts';

const SUB = '11111111-2222-4333-8444-555555555555';
const SUB2 = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-1`;
const WPS = `${RG}/providers/Microsoft.SignalRService/webPubSub/chat`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AccessError, `expected AccessError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected an error');
}

test('each scope level parses with its parts', () => {
  assert.deepEqual(parseScope('/'), { level: 'root', id: '/', key: '/' });
  const mg = parseScope('/providers/Microsoft.Management/managementGroups/mg-root');
  assert.equal(mg.level, 'managementGroup');
  assert.equal(mg.managementGroupId, 'mg-root');
  const sub = parseScope(`/subscriptions/${SUB.toUpperCase()}`);
  assert.equal(sub.level, 'subscription');
  assert.equal(sub.id, `/subscriptions/${SUB}`, 'subscription GUID is lower-cased in the canonical id');
  const rg = parseScope(`${RG}/`);
  assert.equal(rg.level, 'resourceGroup');
  assert.equal(rg.id, RG, 'one trailing slash is tolerated');
  const res = parseScope(WPS);
  assert.equal(res.level, 'resource');
  assert.equal(res.provider, 'Microsoft.SignalRService');
  assert.equal(res.resourceType, 'Microsoft.SignalRService/webPubSub');
  assert.equal(res.parent, RG);
  const hub = parseScope(hubScope(WPS, 'Chat_1'));
  assert.equal(hub.level, 'resource');
  assert.equal(hub.resourceType, 'Microsoft.SignalRService/webPubSub/hubs');
  assert.equal(hub.parent, WPS);
  assert.equal(parseScope(`${RG}/providers/Microsoft.KeyVault/vaults/kv-1`).resourceType, 'Microsoft.KeyVault/vaults');
  assert.equal(parseScope(`${RG}/providers/Microsoft.SignalRService/SignalR/sig`).level, 'resource');
});

test('ARM keywords are recognised in any casing and compared case-insensitively', () => {
  const a = `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/RG-1/PROVIDERS/microsoft.signalrservice/WEBPUBSUB/CHAT`;
  assert.ok(sameScope(a, WPS));
  assert.equal(parseScope(a).key, WPS.toLowerCase());
  assert.ok(!sameScope(WPS, `${RG}/providers/Microsoft.SignalRService/webPubSub/chat2`));
});

test('malformed scopes are refused with ARM error codes', () => {
  assert.equal(code(() => parseScope('')), 'InvalidScope');
  assert.equal(code(() => parseScope('subscriptions/x')), 'InvalidScope');
  assert.equal(code(() => parseScope('/resourceGroups/rg')), 'MissingSubscription');
  assert.equal(code(() => parseScope('/foo')), 'MissingSubscription');
  assert.equal(code(() => parseScope('/subscriptions/not-a-guid')), 'InvalidSubscriptionId');
  assert.equal(code(() => parseScope('/subscriptions')), 'InvalidScope');
  assert.equal(code(() => parseScope(`/subscriptions/${SUB}/resourceGroups`)), 'InvalidScope');
  assert.equal(code(() => parseScope(`/subscriptions/${SUB}//resourceGroups/rg`)), 'InvalidScope');
  assert.equal(code(() => parseScope(`/subscriptions/${SUB}/resourceGroups/bad name`)), 'InvalidScope');
  assert.equal(code(() => parseScope(`/subscriptions/${SUB}/resourceGroups/ends.`)), 'InvalidScope');
  assert.equal(code(() => parseScope(`${RG}/providers/Microsoft.SignalRService/webPubSub`)), 'InvalidScope', 'type without name');
  assert.equal(code(() => parseScope(`${RG}/providers/NotANamespace/webPubSub/x`)), 'InvalidScope', 'provider needs Company.Provider');
  assert.equal(code(() => parseScope(`${RG}/providers/Microsoft.KeyVault/vaults/kv/hubs/h`)), 'InvalidScope', 'hubs only below Web PubSub');
  assert.equal(code(() => parseScope(`${WPS}/hubs/1bad`)), 'InvalidScope', 'hub names start with a letter');
  assert.equal(code(() => parseScope(`${WPS}/hubs/h/groups/g`)), 'InvalidScope');
  assert.equal(code(() => parseScope(`${WPS}/providers/Microsoft.Insights/diagnosticSettings/x`)), 'InvalidScope');
  assert.equal(code(() => parseScope('/providers/Microsoft.Authorization/roleAssignments')), 'InvalidScope');
  assert.equal(code(() => parseScope('/providers/Microsoft.Management/managementGroups')), 'InvalidScope');
  assert.equal(code(() => parseScope(`/subscriptions/${SUB}/resourceGroups/rg?x=1`)), 'InvalidScope');
  assert.equal(code(() => parseScope(`/${'a'.repeat(3000)}`)), 'InvalidScope');
});

test('the ancestor chain walks resource → RG → subscription → management groups → /', () => {
  const tree = new ScopeTree({
    managementGroups: [
      { id: 'mg-root' },
      { id: 'mg-child', parent: 'mg-root', subscriptions: [SUB] },
    ],
    subscriptions: [SUB2],
  });
  assert.deepEqual(tree.ancestors(parseScope(hubScope(WPS, 'h1'))), [
    `${WPS}/hubs/h1`, WPS, RG, `/subscriptions/${SUB}`,
    '/providers/Microsoft.Management/managementGroups/mg-child',
    '/providers/Microsoft.Management/managementGroups/mg-root', '/',
  ]);
  assert.deepEqual(tree.ancestors(parseScope(`/subscriptions/${SUB2}`)), [`/subscriptions/${SUB2}`, '/'], 'a subscription in no group sits below /');
  assert.deepEqual(tree.ancestors(parseScope('/providers/Microsoft.Management/managementGroups/MG-CHILD')), [
    '/providers/Microsoft.Management/managementGroups/mg-child', '/providers/Microsoft.Management/managementGroups/mg-root', '/',
  ]);
  assert.deepEqual(tree.ancestors(parseScope('/')), ['/']);
});

test('a tenant root group sits above every group and unassigned subscription', () => {
  const tree = new ScopeTree({ tenantRootGroupId: 'tenant-root', managementGroups: [{ id: 'a', subscriptions: [SUB] }], subscriptions: [SUB2] });
  assert.deepEqual(tree.ancestors(parseScope(`/subscriptions/${SUB}`)).slice(1), [
    '/providers/Microsoft.Management/managementGroups/a', '/providers/Microsoft.Management/managementGroups/tenant-root', '/',
  ]);
  assert.deepEqual(tree.ancestors(parseScope(`/subscriptions/${SUB2}`)).slice(1), ['/providers/Microsoft.Management/managementGroups/tenant-root', '/']);
});

test('the management-group tree is validated: unknown parents, cycles, a subscription in two groups', () => {
  assert.equal(code(() => new ScopeTree({ managementGroups: [{ id: 'a', parent: 'nope' }] })), 'InvalidManagementGroupHierarchy');
  assert.equal(code(() => new ScopeTree({ managementGroups: [{ id: 'a', parent: 'b' }, { id: 'b', parent: 'a' }] })), 'InvalidManagementGroupHierarchy');
  assert.equal(code(() => new ScopeTree({ managementGroups: [{ id: 'a', subscriptions: [SUB] }, { id: 'b', subscriptions: [SUB] }] })), 'InvalidManagementGroupHierarchy');
  assert.equal(code(() => new ScopeTree({ managementGroups: [{ id: 'a' }, { id: 'A' }] })), 'InvalidManagementGroupHierarchy');
  const deep = Array.from({ length: 9 }, (_, i) => ({ id: `g${i}`, parent: i ? `g${i - 1}` : null }));
  assert.equal(code(() => new ScopeTree({ managementGroups: deep })), 'InvalidManagementGroupHierarchy');
  assert.equal(code(() => new ScopeTree({ subscriptions: ['nope'] })), 'InvalidSubscriptionId');
});

test('assertKnown refuses undeclared subscriptions and management groups', () => {
  const tree = new ScopeTree({ managementGroups: [{ id: 'mg', subscriptions: [SUB] }] });
  tree.assertKnown(parseScope(WPS));
  tree.assertKnown(parseScope('/'));
  assert.equal(code(() => tree.assertKnown(parseScope(`/subscriptions/${SUB2}/resourceGroups/x`))), 'SubscriptionNotFound');
  assert.equal(code(() => tree.assertKnown(parseScope('/providers/Microsoft.Management/managementGroups/other'))), 'ManagementGroupNotFound');
});
