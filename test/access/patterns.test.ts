// Wildcard matching and pattern validation (entra-compat §5.5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessError, compilePattern, validateOperation, validatePattern } from '../../src/access/index.ts';

const m = (pattern: string, op: string) => compilePattern(pattern).test(op);

test('* spans segments, appears anywhere and more than once; matching ignores case', () => {
  assert.ok(m('*', 'Microsoft.SignalRService/WebPubSub/hub/send/action'));
  assert.ok(m('*/read', 'Microsoft.Authorization/roleAssignments/read'));
  assert.ok(m('*/read', 'microsoft.signalrservice/webpubsub/group/READ'));
  assert.ok(m('Microsoft.SignalRService/WebPubSub/*', 'Microsoft.SignalRService/WebPubSub/clientConnection/generateToken/action'));
  assert.ok(m('Microsoft.SignalRService/WebPubSub/*/read', 'Microsoft.SignalRService/WebPubSub/clientConnection/read'));
  assert.ok(!m('Microsoft.SignalRService/WebPubSub/*/read', 'Microsoft.SignalRService/WebPubSub/group/write'));
  assert.ok(m('Microsoft.CostManagement/*/query/*', 'Microsoft.CostManagement/exports/query/action'));
  assert.ok(m('Microsoft.SignalRService/*/send/action', 'Microsoft.SignalRService/WebPubSub/user/send/action'));
  assert.ok(m('MICROSOFT.AUTHORIZATION/*/WRITE', 'Microsoft.Authorization/roleAssignments/write'));
});

test('patterns are anchored and regex characters are literal', () => {
  assert.ok(!m('Microsoft.SignalRService/WebPubSub/hub/send/action', 'Microsoft.SignalRService/WebPubSub/hub/send/actionX'));
  assert.ok(!m('Microsoft.SignalRService/WebPubSub/hub/send/action', 'xMicrosoft.SignalRService/WebPubSub/hub/send/action'));
  assert.ok(!m('Microsoft.SignalRService/WebPubSub/*', 'Microsoft.SignalRService/SignalR/hub/send/action'));
  // "." is a literal dot, not "any character".
  assert.ok(!m('Microsoft.Authorization/*', 'MicrosoftXAuthorization/roleAssignments/read'));
  assert.ok(!m('Microsoft.SignalRService/WebPubSub/group/*', 'Microsoft.SignalRService/WebPubSub/groupX'));
});

function fails(p: string, kind: 'action' | 'dataAction'): string {
  try {
    validatePattern(p, kind);
  } catch (err) {
    assert.ok(err instanceof AccessError);
    return err.code;
  }
  assert.fail(`'${p}' was accepted as ${kind}`);
}

test('valid patterns are accepted', () => {
  for (const p of ['*', '*/read', 'Microsoft.Authorization/*/read', 'Microsoft.SignalRService/*', 'Microsoft.Support/*', 'Microsoft.Resources/subscriptions/resourceGroups/read']) validatePattern(p, 'action');
  for (const p of [
    'Microsoft.SignalRService/WebPubSub/group/send/action', 'Microsoft.SignalRService/WebPubSub/*', 'Microsoft.SignalRService/WebPubSub/*/read',
    'Microsoft.SignalRService/*/send/action', 'Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/keys/encrypt/action',
    'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
  ]) validatePattern(p, 'dataAction');
});

test('wildcard abuse and invalid providers are refused with Azure codes', () => {
  assert.equal(fails('*', 'dataAction'), 'InvalidDataActionOrNotDataAction');
  assert.equal(fails('*/read', 'dataAction'), 'InvalidDataActionOrNotDataAction');
  assert.equal(fails('Contoso/widgets/read', 'dataAction'), 'InvalidDataActionOrNotDataAction');
  assert.equal(fails('Contoso/widgets/read', 'action'), 'InvalidActionOrNotAction');
  assert.equal(fails('Microsoft..Bad/x/read', 'action'), 'InvalidActionOrNotAction');
  assert.equal(fails('Microsoft.SignalRService', 'action'), 'InvalidActionOrNotAction');
  assert.equal(fails('Microsoft.SignalRService//read', 'action'), 'InvalidActionOrNotAction');
  assert.equal(fails('Microsoft.SignalRService/WebPubSub/hub/send', 'dataAction'), 'InvalidDataActionOrNotDataAction', 'last segment must be read/write/delete/action');
  assert.equal(fails('Microsoft.SignalRService/WebPubSub/group/sendd/action', 'dataAction'), 'InvalidDataActionOrNotDataAction', 'not in the provider catalogue');
  assert.equal(fails('Microsoft.SignalRService/WebPubSub/read', 'dataAction'), 'InvalidDataActionOrNotDataAction', 'a control-plane action is not a data action');
  assert.equal(fails('Microsoft.SignalRService/WebPubSub/hub/send/action', 'action'), 'InvalidActionOrNotAction', 'a data action is not an action');
  assert.equal(fails('Microsoft.KeyVault/vaults/secrets/steal/action', 'dataAction'), 'InvalidDataActionOrNotDataAction');
  assert.equal(fails('Microsoft.SignalRService/Web PubSub/*', 'dataAction'), 'InvalidDataActionOrNotDataAction');
  assert.equal(fails('Microsoft.SignalRService/(a|b)/read', 'action'), 'InvalidActionOrNotAction');
  assert.equal(fails('x'.repeat(600), 'action'), 'InvalidActionOrNotAction');
});

test('operations being checked must be concrete operation names', () => {
  validateOperation('Microsoft.SignalRService/WebPubSub/hub/send/action');
  for (const bad of ['*', 'Microsoft.SignalRService/*', 'nope', '', 'Microsoft.X/a b/read']) {
    assert.throws(() => validateOperation(bad), (e: unknown) => e instanceof AccessError && e.code === 'InvalidOperation', bad);
  }
});
