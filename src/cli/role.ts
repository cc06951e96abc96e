import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseRoleDefinitionInput } from '../access/definitions.ts';
import { CliError, LapisClient, dataDirOption, printJson as print } from './client.ts';

const API_VERSION = '2022-04-01';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Json = Record<string, any>;

const odataString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** `{scope}/providers/Microsoft.Authorization/{rest}?api-version=…[&…]` */
function authz(scope: string, rest: string, query: Record<string, string> = {}): string {
  const base = scope === '/' ? '' : scope.replace(/\/+$/, '');
  const qs = new URLSearchParams({ 'api-version': API_VERSION, ...query }).toString().replace(/\+/g, '%20');
  return `${base}/providers/Microsoft.Authorization/${rest}?${qs}`;
}

/** A CLI call's connection to the running node, with the lookups commands share. */
class Session extends LapisClient {
  /** `--scope`, else `--resource-group` in the node's subscription, else the subscription (as az does). */
  scope(o: { scope?: string; resourceGroup?: string }): string {
    if (o.scope && o.resourceGroup) throw new CliError('give --scope or --resource-group, not both');
    if (o.scope) return o.scope;
    const sub = `/subscriptions/${this.ready.subscriptionId}`;
    return o.resourceGroup ? `${sub}/resourceGroups/${o.resourceGroup}` : sub;
  }

  /** An object id, appId, service principal display name or user principal name → object id and type. */
  async principal(assignee: string): Promise<{ id: string; type: 'User' | 'ServicePrincipal'; name: string }> {
    const users = (await this.graph<{ value: Json[] }>('GET', '/users')).value;
    const sps = (await this.graph<{ value: Json[] }>('GET', '/servicePrincipals')).value;
    const a = assignee.toLowerCase();
    const sp = sps.filter((s) => String(s.id).toLowerCase() === a || String(s.appId).toLowerCase() === a);
    const user = users.filter((u) => String(u.id).toLowerCase() === a || String(u.userPrincipalName).toLowerCase() === a);
    const byName = sp.length || user.length ? [] : sps.filter((s) => String(s.displayName).toLowerCase() === a);
    const found = [...sp.map((s) => ({ id: s.id, type: 'ServicePrincipal' as const, name: s.appId })),
      ...user.map((u) => ({ id: u.id, type: 'User' as const, name: u.userPrincipalName })),
      ...byName.map((s) => ({ id: s.id, type: 'ServicePrincipal' as const, name: s.appId }))];
    if (found.length === 0) throw new CliError(`cannot find user or service principal '${assignee}' in the directory (use --assignee-object-id for an object id)`);
    if (found.length > 1) throw new CliError(`'${assignee}' matches ${found.length} principals; use --assignee-object-id`);
    return found[0]!;
  }

  /** A role name or id → the role definition's GUID. */
  async roleId(role: string, scope: string): Promise<string> {
    const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(role);
    if (m && (GUID.test(role) || /\/roleDefinitions\//i.test(role))) return m[1]!.toLowerCase();
    const found = (await this.arm<{ value: Json[] }>('GET', authz(scope, 'roleDefinitions', { $filter: `roleName eq ${odataString(role)}` }))).value;
    if (found.length === 0) throw new CliError(`Role '${role}' doesn't exist.`);
    return String(found[0]!.name);
  }
}

/** az prints ARM resources with `properties` flattened. */
function flattenAssignment(a: Json, extra: Json = {}): Json {
  return { ...a.properties, id: a.id, name: a.name, type: a.type, ...extra };
}

function flattenDefinition(d: Json): Json {
  const { type: roleType, ...rest } = d.properties ?? {};
  return { ...rest, roleType, id: d.id, name: d.name, type: d.type };
}

function readJsonArg(arg: string): unknown {
  const text = arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : !arg.trim().startsWith('{') && existsSync(arg) ? readFileSync(arg, 'utf8') : arg;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`--role-definition is neither JSON nor a JSON file: ${(err as Error).message}`);
  }
}

/** `lapis role …`: Azure RBAC, named after `az role …`, through the running node's ARM-shaped API. */
export function roleCommands(): Command {
  const role = new Command('role').description('Manage role definitions and role assignments (Azure RBAC), like az role');

  // ---- assignments ---------------------------------------------------------------------------
  const assignment = role.command('assignment').description('Role assignments');
  assignment.command('create').description('Assign a role to a user, service principal or managed identity at a scope')
    .option('--assignee <assignee>', 'object id, appId, service principal display name, or user principal name')
    .option('--assignee-object-id <objectId>', 'the principal\'s object id (no directory lookup)')
    .option('--assignee-principal-type <type>', 'User, ServicePrincipal, Group… (with --assignee-object-id)')
    .requiredOption('--role <role>', 'role name (e.g. "Web PubSub Service Owner") or id')
    .option('--scope <scope>', 'scope, e.g. /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.SignalRService/webPubSub/{name}')
    .option('-g, --resource-group <name>', 'a resource group of the node\'s subscription, as the scope')
    .option('--name <guid>', 'the role assignment\'s name (a GUID; generated when absent)')
    .option('--description <text>', 'description')
    .addOption(dataDirOption())
    .action(async (o: { assignee?: string; assigneeObjectId?: string; assigneePrincipalType?: string; role: string; scope?: string; resourceGroup?: string; name?: string; description?: string; dataDir: string }) => {
      const s = new Session(o.dataDir);
      if (!o.assignee === !o.assigneeObjectId) throw new CliError('give one of --assignee and --assignee-object-id');
      const scope = s.scope(o);
      const p = o.assignee ? await s.principal(o.assignee) : { id: o.assigneeObjectId!, type: o.assigneePrincipalType };
      const roleId = await s.roleId(o.role, scope);
      const name = o.name ?? randomUUID();
      const roleDefinitionId = `/subscriptions/${s.ready.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
      const created = await s.arm('PUT', authz(scope, `roleAssignments/${encodeURIComponent(name)}`), {
        properties: { roleDefinitionId, principalId: p.id, ...(p.type ? { principalType: p.type } : {}), ...(o.description ? { description: o.description } : {}) },
      });
      print(flattenAssignment(created));
    });

  assignment.command('list').description('List role assignments (at the scope; --include-inherited adds those above it, --all those below too)')
    .option('--assignee <assignee>', 'only this principal (object id, appId, name or UPN)')
    .option('--role <role>', 'only this role (name or id)')
    .option('--scope <scope>', 'scope (default: the node\'s subscription)')
    .option('-g, --resource-group <name>', 'a resource group of the node\'s subscription')
    .option('--include-inherited', 'include assignments at scopes above')
    .option('--all', 'include assignments at scopes above and below')
    .addOption(dataDirOption())
    .action(async (o: { assignee?: string; role?: string; scope?: string; resourceGroup?: string; includeInherited?: boolean; all?: boolean; dataDir: string }) => {
      const s = new Session(o.dataDir);
      const scope = s.scope(o);
      const principalId = o.assignee ? (await s.principal(o.assignee)).id : undefined;
      const filters = [...(o.all ? [] : ['atScope()']), ...(principalId ? [`assignedTo(${odataString(principalId)})`] : [])];
      const list = (await s.arm<{ value: Json[] }>('GET', authz(scope, 'roleAssignments', filters.length ? { $filter: filters.join(' and ') } : {}))).value;
      const roleId = o.role ? await s.roleId(o.role, scope) : undefined;
      const defs = (await s.arm<{ value: Json[] }>('GET', authz(scope, 'roleDefinitions', { $filter: 'atScopeAndBelow()' }))).value;
      const roleName = new Map(defs.map((d) => [String(d.name), String(d.properties.roleName)]));
      const [users, sps] = await Promise.all([s.graph<{ value: Json[] }>('GET', '/users'), s.graph<{ value: Json[] }>('GET', '/servicePrincipals')]).catch(() => [{ value: [] }, { value: [] }]);
      const principalName = new Map<string, string>([...users.value.map((u) => [u.id, u.userPrincipalName] as [string, string]), ...sps.value.map((p) => [p.id, p.appId] as [string, string])]);
      const key = scope.toLowerCase().replace(/\/+$/, '') || '/';
      print(list
        .filter((a) => o.all || o.includeInherited || String(a.properties.scope).toLowerCase() === key)
        .map((a) => ({ ...a, roleGuid: String(a.properties.roleDefinitionId).split('/').pop()!.toLowerCase() }))
        .filter((a) => !roleId || a.roleGuid === roleId)
        .map(({ roleGuid, ...a }: Json) => flattenAssignment(a, { roleDefinitionName: roleName.get(roleGuid) ?? null, principalName: principalName.get(a.properties.principalId) ?? null })));
    });

  assignment.command('delete').description('Delete role assignments by id, or by assignee, role and scope')
    .option('--ids <id...>', 'full role assignment ids ({scope}/providers/Microsoft.Authorization/roleAssignments/{name})')
    .option('--assignee <assignee>', 'principal (object id, appId, name or UPN)')
    .option('--role <role>', 'role name or id')
    .option('--scope <scope>', 'scope (default: the node\'s subscription)')
    .option('-g, --resource-group <name>', 'a resource group of the node\'s subscription')
    .addOption(dataDirOption())
    .action(async (o: { ids?: string[]; assignee?: string; role?: string; scope?: string; resourceGroup?: string; dataDir: string }) => {
      const s = new Session(o.dataDir);
      let ids = o.ids ?? [];
      if (!ids.length) {
        if (!o.assignee && !o.role) throw new CliError('give --ids, or --assignee and/or --role (with --scope)');
        const scope = s.scope(o);
        const principalId = o.assignee ? (await s.principal(o.assignee)).id : undefined;
        const roleId = o.role ? await s.roleId(o.role, scope) : undefined;
        const list = (await s.arm<{ value: Json[] }>('GET', authz(scope, 'roleAssignments', { $filter: ['atScope()', ...(principalId ? [`assignedTo(${odataString(principalId)})`] : [])].join(' and ') }))).value;
        ids = list.filter((a) => String(a.properties.scope).toLowerCase() === scope.toLowerCase().replace(/\/+$/, '') && (!roleId || String(a.properties.roleDefinitionId).toLowerCase().endsWith(roleId))).map((a) => String(a.id));
        if (!ids.length) throw new CliError('No matched assignments were found to delete');
      }
      const deleted: Json[] = [];
      for (const id of ids) {
        const m = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i.exec(id);
        if (!m) throw new CliError(`'${id}' is not a role assignment id`);
        const r = await s.arm('DELETE', authz(m[1] || '/', `roleAssignments/${encodeURIComponent(m[2]!)}`));
        if (r && r.id) deleted.push(flattenAssignment(r));
      }
      print(deleted);
    });

  // ---- definitions ---------------------------------------------------------------------------
  const definition = role.command('definition').description('Role definitions (built-in and custom roles)');
  definition.command('create').description('Create a custom role from JSON (Name/Actions/DataActions/AssignableScopes, or the ARM shape)')
    .requiredOption('--role-definition <json>', 'the role as JSON text, a JSON file, or @file')
    .addOption(dataDirOption())
    .action(async (o: { roleDefinition: string; dataDir: string }) => {
      const s = new Session(o.dataDir);
      const input = parseRoleDefinitionInput(readJsonArg(o.roleDefinition));
      const scope = input.assignableScopes[0];
      if (!scope) throw new CliError('the role needs AssignableScopes');
      const name = input.name ?? randomUUID();
      const created = await s.arm('PUT', authz(scope, `roleDefinitions/${name}`), {
        name, properties: { roleName: input.roleName, description: input.description, type: 'CustomRole', permissions: input.permissions, assignableScopes: input.assignableScopes },
      });
      print(flattenDefinition(created));
    });

  definition.command('list').description('List role definitions')
    .option('-n, --name <roleName>', 'only the role with this name')
    .option('--custom-role-only', 'only custom roles')
    .option('--scope <scope>', 'scope (default: the node\'s subscription)')
    .addOption(dataDirOption())
    .action(async (o: { name?: string; customRoleOnly?: boolean; scope?: string; dataDir: string }) => {
      const s = new Session(o.dataDir);
      const filters = [...(o.name ? [`roleName eq ${odataString(o.name)}`] : []), ...(o.customRoleOnly ? ["type eq 'CustomRole'"] : [])];
      const list = (await s.arm<{ value: Json[] }>('GET', authz(s.scope(o), 'roleDefinitions', filters.length ? { $filter: filters.join(' and ') } : {}))).value;
      print(list.map(flattenDefinition));
    });

  definition.command('delete').description('Delete a custom role')
    .requiredOption('-n, --name <role>', 'role name or id')
    .option('--scope <scope>', 'scope (default: the node\'s subscription)')
    .addOption(dataDirOption())
    .action(async (o: { name: string; scope?: string; dataDir: string }) => {
      const s = new Session(o.dataDir);
      const scope = s.scope(o);
      const id = await s.roleId(o.name, scope);
      await s.arm('DELETE', authz(scope, `roleDefinitions/${id}`));
    });

  // ---- explain (Lapis) -----------------------------------------------------------------------
  role.command('explain').description('Explain why a principal is (or is not) allowed an action or data action at a scope')
    .requiredOption('--assignee <assignee>', 'object id, appId, service principal display name, or user principal name')
    .option('--action <operation>', 'a control-plane action, e.g. Microsoft.Authorization/roleAssignments/write')
    .option('--data-action <operation>', 'a data action, e.g. Microsoft.SignalRService/WebPubSub/hub/send/action')
    .option('--scope <scope>', 'scope, e.g. a Web PubSub resource id, optionally with /hubs/{hub}')
    .option('-g, --resource-group <name>', 'a resource group of the node\'s subscription')
    .addOption(dataDirOption())
    .action(async (o: { assignee: string; action?: string; dataAction?: string; scope?: string; resourceGroup?: string; dataDir: string }) => {
      if (!o.action === !o.dataAction) throw new CliError('give one of --action and --data-action');
      const s = new Session(o.dataDir);
      const principalId = GUID.test(o.assignee) ? await s.principal(o.assignee).then((p) => p.id, () => o.assignee) : (await s.principal(o.assignee)).id;
      const decision = await s.arm('POST', `/providers/Microsoft.Lapis/explainAccess?api-version=${API_VERSION}`, {
        principalId, scope: s.scope(o), ...(o.action ? { action: o.action } : { dataAction: o.dataAction }),
      });
      print(decision);
    });
  return role;
}
