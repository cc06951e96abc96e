import { Command, Option } from 'commander';
import { CliError, LapisClient, dataDirOption, printJson as print } from './client.ts';

const API_VERSION = '2023-07-01';
type Json = Record<string, any>;
const CATEGORIES = ['secrets', 'keys', 'certificates', 'storage'] as const;

interface Target { name: string; resourceGroup?: string; dataDir: string }
interface PrincipalFlags { objectId?: string; spn?: string; upn?: string; applicationId?: string }
type PermissionFlags = { secretPermissions?: string[]; keyPermissions?: string[]; certificatePermissions?: string[]; storagePermissions?: string[] };

/** A CLI call's connection to the running node, with the lookups the commands share. */
class Session extends LapisClient {
  /** The vault's ARM path: in the given resource group, or found by name in the node's subscription (as az does). */
  async vaultPath(o: Target): Promise<string> {
    const sub = `/subscriptions/${this.ready.subscriptionId}`;
    if (o.resourceGroup) return `${sub}/resourceGroups/${encodeURIComponent(o.resourceGroup)}/providers/Microsoft.KeyVault/vaults/${encodeURIComponent(o.name)}`;
    const all = (await this.arm<{ value: Json[] }>('GET', `${sub}/providers/Microsoft.KeyVault/vaults?api-version=${API_VERSION}`)).value;
    const found = all.find((v) => String(v.name).toLowerCase() === o.name.toLowerCase());
    if (!found) throw new CliError(`The Vault '${o.name}' not found within subscription.`);
    return String(found.id);
  }

  /** `--object-id`, `--spn` (appId, service principal name or display name) or `--upn` → object id. */
  async objectId(o: PrincipalFlags): Promise<string> {
    const given = [o.objectId, o.spn, o.upn].filter((x) => x !== undefined);
    if (given.length !== 1) throw new CliError('give exactly one of --object-id, --spn and --upn');
    if (o.objectId) return o.objectId.toLowerCase();
    if (o.upn) {
      const users = (await this.graph<{ value: Json[] }>('GET', '/users')).value;
      const u = users.find((x) => String(x.userPrincipalName).toLowerCase() === o.upn!.toLowerCase());
      if (!u) throw new CliError(`Unable to find user with UPN '${o.upn}'`);
      return String(u.id);
    }
    const spn = o.spn!.toLowerCase();
    const sps = (await this.graph<{ value: Json[] }>('GET', '/servicePrincipals')).value;
    const matches = sps.filter((s) => String(s.appId).toLowerCase() === spn
      || (Array.isArray(s.servicePrincipalNames) && s.servicePrincipalNames.some((n: unknown) => String(n).toLowerCase() === spn)));
    const byName = matches.length ? matches : sps.filter((s) => String(s.displayName).toLowerCase() === spn);
    if (byName.length === 0) throw new CliError(`Unable to find service principal '${o.spn}'`);
    if (byName.length > 1) throw new CliError(`'${o.spn}' matches ${byName.length} service principals; use --object-id`);
    return String(byName[0]!.id);
  }
}

const named = (cmd: Command): Command => cmd
  .requiredOption('-n, --name <name>', 'name of the vault')
  .option('-g, --resource-group <name>', 'resource group of the vault (found by name when absent)')
  .addOption(dataDirOption());

const principalOptions = (cmd: Command): Command => cmd
  .option('--object-id <guid>', 'object id of a user, service principal or managed identity')
  .option('--spn <name>', 'service principal: appId (client id), service principal name or display name')
  .option('--upn <upn>', 'user principal name')
  .option('--application-id <guid>', 'for a compound identity: the application acting for the principal');

/** Whether a policy belongs to this (tenant, object, application), as ARM matches them. */
function sameEntry(p: Json, tenantId: string, objectId: string, applicationId: string | undefined): boolean {
  return String(p.tenantId).toLowerCase() === tenantId && String(p.objectId).toLowerCase() === objectId
    && String(p.applicationId ?? '').toLowerCase() === (applicationId ?? '').toLowerCase();
}

/** `lapis keyvault …`: vaults' permission model and access policies, named after `az keyvault …`. */
export function keyvaultCommands(): Command {
  const kv = new Command('keyvault').description('Manage Key Vaults: the permission model (RBAC or access policies) and access policies, like az keyvault');

  kv.command('list').description('List the vaults of the node\'s subscription (or of one resource group)')
    .option('-g, --resource-group <name>', 'only this resource group')
    .addOption(dataDirOption())
    .action(async (o: { resourceGroup?: string; dataDir: string }) => {
      const s = new Session(o.dataDir);
      const rg = o.resourceGroup ? `/resourceGroups/${encodeURIComponent(o.resourceGroup)}` : '';
      print((await s.arm<{ value: Json[] }>('GET', `/subscriptions/${s.ready.subscriptionId}${rg}/providers/Microsoft.KeyVault/vaults?api-version=${API_VERSION}`)).value);
    });

  named(kv.command('show').description('Show a vault, with its access policies and enableRbacAuthorization'))
    .action(async (o: Target) => {
      const s = new Session(o.dataDir);
      print(await s.arm('GET', `${await s.vaultPath(o)}?api-version=${API_VERSION}`));
    });

  named(kv.command('update').description('Switch the permission model: Azure RBAC (true) or access policies (false)'))
    .requiredOption('--enable-rbac-authorization <bool>', 'true: Azure RBAC decides; false: the access policies decide')
    .action(async (o: Target & { enableRbacAuthorization: string }) => {
      const s = new Session(o.dataDir);
      const v = o.enableRbacAuthorization.toLowerCase();
      if (v !== 'true' && v !== 'false') throw new CliError(`--enable-rbac-authorization takes true or false (got '${o.enableRbacAuthorization}')`);
      print(await s.arm('PATCH', `${await s.vaultPath(o)}?api-version=${API_VERSION}`, { properties: { enableRbacAuthorization: v === 'true' } }));
    });

  principalOptions(named(kv.command('set-policy').description('Set a principal\'s permissions: each category given replaces that category of its policy (others are kept)')))
    .addOption(new Option('--secret-permissions <perm...>', 'get list set delete recover backup restore purge all'))
    .addOption(new Option('--key-permissions <perm...>', 'kept in the policy; Lapis vaults serve secrets only'))
    .addOption(new Option('--certificate-permissions <perm...>', 'kept in the policy; Lapis vaults serve secrets only'))
    .addOption(new Option('--storage-permissions <perm...>', 'kept in the policy; Lapis vaults serve secrets only'))
    .action(async (o: Target & PrincipalFlags & PermissionFlags) => {
      const s = new Session(o.dataDir);
      const given: Partial<Record<(typeof CATEGORIES)[number], string[] | undefined>> = {
        secrets: o.secretPermissions, keys: o.keyPermissions, certificates: o.certificatePermissions, storage: o.storagePermissions,
      };
      if (CATEGORIES.every((c) => given[c] === undefined)) throw new CliError('give at least one of --secret-permissions, --key-permissions, --certificate-permissions, --storage-permissions');
      const path = await s.vaultPath(o);
      const vault = await s.arm('GET', `${path}?api-version=${API_VERSION}`);
      const tenantId = String(vault.properties.tenantId).toLowerCase();
      const objectId = await s.objectId(o);
      const policies: Json[] = vault.properties.accessPolicies ?? [];
      const at = policies.findIndex((p) => sameEntry(p, tenantId, objectId, o.applicationId));
      const entry: Json = at >= 0 ? { ...policies[at], permissions: { ...policies[at]!.permissions } }
        : { tenantId, objectId, ...(o.applicationId ? { applicationId: o.applicationId } : {}), permissions: {} };
      for (const c of CATEGORIES) if (given[c] !== undefined) entry.permissions[c] = given[c];
      const next = at >= 0 ? policies.map((p, i) => (i === at ? entry : p)) : [...policies, entry];
      print(await s.arm('PATCH', `${path}?api-version=${API_VERSION}`, { properties: { accessPolicies: next } }));
    });

  principalOptions(named(kv.command('delete-policy').description('Delete a principal\'s access policy')))
    .action(async (o: Target & PrincipalFlags) => {
      const s = new Session(o.dataDir);
      const path = await s.vaultPath(o);
      const vault = await s.arm('GET', `${path}?api-version=${API_VERSION}`);
      const tenantId = String(vault.properties.tenantId).toLowerCase();
      const objectId = await s.objectId(o);
      const policies: Json[] = vault.properties.accessPolicies ?? [];
      const next = policies.filter((p) => !sameEntry(p, tenantId, objectId, o.applicationId));
      if (next.length === policies.length) throw new CliError(`no access policy of '${objectId}' on the vault '${o.name}'`);
      print(await s.arm('PATCH', `${path}?api-version=${API_VERSION}`, { properties: { accessPolicies: next } }));
    });
  return kv;
}
