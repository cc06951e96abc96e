// `lapis role …` (named after `az role …`) against a running Lapis: the CLI authenticates as the
// host's managed identity from ready.json and calls the ARM- and Graph-shaped APIs. Until the server
// composition mounts the ARM routes on the main origin, the test serves them (with Graph) on its own
// listener and gives the CLI a ready.json whose managementEndpoint points there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../src/cli/client.ts';
import { startArm, type ArmHarness } from './arm-harness.ts';

const TENANT = '6b1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01';
const SUB = '6b1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c02';
const CHAT = { displayName: 'chat-server', appId: '6b1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c03' };
const RG = `/subscriptions/${SUB}/resourceGroups/rg-1`;
const WPS = `${RG}/providers/Microsoft.SignalRService/webPubSub/chat`;

let h: ArmHarness;
let dataDir: string;
let chatId: string;

before(async () => {
  h = await startArm({ tenantId: TENANT, subscriptionId: SUB, applications: [{ displayName: CHAT.displayName, appId: CHAT.appId }] }, { mountGraph: true });
  chatId = h.lapis.node.identity.directory.servicePrincipal(CHAT.appId)!.id;
  dataDir = mkdtempSync(join(tmpdir(), 'lapis-role-cli-'));
  const ready = JSON.parse(readFileSync(join(h.lapis.dataDir, 'ready.json'), 'utf8'));
  writeFileSync(join(dataDir, 'ready.json'), JSON.stringify({ ...ready, managementEndpoint: h.url }), { mode: 0o600 });
});

after(async () => {
  await h?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const RUNNER = `
import { roleCommands } from ${JSON.stringify(new URL('../../src/cli/role.ts', import.meta.url).href)};
try {
  await roleCommands().parseAsync(process.argv.slice(1), { from: 'user' });
} catch (err) {
  process.stderr.write(String(err?.message ?? err));
  process.exit(2);
}`;

/** Runs `lapis role <args>` in a child process (as the CLI runs) and returns what it printed, parsed; a failure rejects with its message. */
function role(...args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', RUNNER, ...args, '-d', dataDir], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new CliError(stderr.trim() || err.message));
      resolve(stdout.trim() ? JSON.parse(stdout) : undefined);
    });
  });
}

test('definition list finds built-in roles by name, with az\'s flattened shape', async () => {
  const [owner] = await role('definition', 'list', '--name', 'Web PubSub Service Owner');
  assert.equal(owner.name, '12cf5a90-567b-43ae-8102-96cf46c7d9b4');
  assert.equal(owner.roleType, 'BuiltInRole');
  assert.equal(owner.roleName, 'Web PubSub Service Owner');
  assert.equal(owner.type, 'Microsoft.Authorization/roleDefinitions');
  assert.equal(owner.id, `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/12cf5a90-567b-43ae-8102-96cf46c7d9b4`);
  assert.deepEqual(owner.permissions[0].dataActions, ['Microsoft.SignalRService/WebPubSub/*']);
});

test('assignment create / list / explain / delete, end to end', async () => {
  const created = await role('assignment', 'create', '--assignee', CHAT.displayName, '--role', 'Web PubSub Service Owner', '-g', 'rg-1');
  assert.equal(created.principalId, chatId);
  assert.equal(created.principalType, 'ServicePrincipal');
  assert.equal(created.scope, RG);
  assert.match(created.id, new RegExp(`^${RG}/providers/Microsoft.Authorization/roleAssignments/[0-9a-f-]{36}$`));

  const listed = await role('assignment', 'list', '-g', 'rg-1');
  const mine = listed.find((a: any) => a.id === created.id);
  assert.equal(mine.roleDefinitionName, 'Web PubSub Service Owner');
  assert.equal(mine.principalName, CHAT.appId);
  assert.deepEqual(await role('assignment', 'list', '-g', 'rg-2'), [], 'nothing at another group');
  assert.ok((await role('assignment', 'list', '--all', '--assignee', CHAT.appId)).some((a: any) => a.id === created.id), '--all: below the subscription');

  const allowed = await role('explain', '--assignee', CHAT.appId, '--data-action', 'Microsoft.SignalRService/WebPubSub/hub/send/action', '--scope', `${WPS}/hubs/chat`);
  assert.equal(allowed.allowed, true);
  assert.equal(allowed.decidingAssignment.id, created.id);
  assert.equal(allowed.matchedPattern, 'Microsoft.SignalRService/WebPubSub/*');

  const deleted = await role('assignment', 'delete', '--ids', created.id);
  assert.deepEqual(deleted.map((a: any) => a.id), [created.id]);
  const denied = await role('explain', '--assignee', chatId, '--data-action', 'Microsoft.SignalRService/WebPubSub/hub/send/action', '--scope', WPS);
  assert.equal(denied.allowed, false, 'the deletion is effective at once');
});

test('custom roles: create from the PowerShell/az JSON shape, assign, list, refuse deletion while used, delete', async () => {
  const def = { Name: 'WPS Group Sender', Description: 'group sends only', Actions: [], DataActions: ['Microsoft.SignalRService/WebPubSub/group/send/action'], AssignableScopes: [`/subscriptions/${SUB}`] };
  const created = await role('definition', 'create', '--role-definition', JSON.stringify(def));
  assert.equal(created.roleName, 'WPS Group Sender');
  assert.equal(created.roleType, 'CustomRole');
  const file = join(dataDir, 'role.json');
  writeFileSync(file, JSON.stringify({ ...def, Name: 'From File' }));
  assert.equal((await role('definition', 'create', '--role-definition', `@${file}`)).roleName, 'From File');
  assert.deepEqual((await role('definition', 'list', '--custom-role-only')).map((d: any) => d.roleName).sort(), ['From File', 'WPS Group Sender']);

  const a = await role('assignment', 'create', '--assignee-object-id', chatId, '--assignee-principal-type', 'ServicePrincipal', '--role', 'WPS Group Sender', '--scope', WPS);
  const check = (op: string) => role('explain', '--assignee', chatId, '--data-action', `Microsoft.SignalRService/WebPubSub/${op}`, '--scope', WPS);
  assert.equal((await check('group/send/action')).allowed, true);
  assert.equal((await check('hub/send/action')).allowed, false);
  await assert.rejects(role('definition', 'delete', '--name', 'WPS Group Sender'), (e: unknown) => e instanceof CliError && /409 RoleDefinitionHasAssignments/.test(e.message));
  await role('assignment', 'delete', '--assignee', chatId, '--role', 'WPS Group Sender', '--scope', WPS);
  assert.equal((await check('group/send/action')).allowed, false);
  await role('definition', 'delete', '--name', 'WPS Group Sender');
  await role('definition', 'delete', '--name', 'From File');
  assert.deepEqual(await role('definition', 'list', '--custom-role-only'), []);
});

test('errors read as az\'s', async () => {
  await assert.rejects(role('assignment', 'create', '--assignee', CHAT.appId, '--role', 'No Such Role', '-g', 'rg-1'), (e: unknown) => e instanceof CliError && e.message === "Role 'No Such Role' doesn't exist.");
  await assert.rejects(role('assignment', 'create', '--assignee', 'nobody@nowhere.test', '--role', 'Reader', '-g', 'rg-1'), (e: unknown) => e instanceof CliError && /cannot find user or service principal/.test(e.message));
  await assert.rejects(role('assignment', 'create', '--assignee-object-id', '00000000-0000-4000-8000-00000000abcd', '--role', 'Reader', '-g', 'rg-1'), (e: unknown) => e instanceof CliError && /400 PrincipalNotFound/.test(e.message));
  await assert.rejects(role('definition', 'create', '--role-definition', JSON.stringify({ Name: 'Too broad', DataActions: ['*'], AssignableScopes: [`/subscriptions/${SUB}`] })), (e: unknown) => e instanceof CliError && /400 InvalidDataActionOrNotDataAction/.test(e.message));
});
