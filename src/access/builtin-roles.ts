import type { RoleDefinition } from './model.ts';

/**
 * Azure's built-in roles that Lapis knows, with their real ids, descriptions and permissions.
 * Sources: MicrosoftDocs/azure-docs `articles/role-based-access-control/built-in-roles/`
 * (`privileged.md`, `general.md`, `web-and-mobile.md`, `security.md`) and entra-compat §5.1.
 * Every built-in role is assignable at `/`.
 */
const builtIn = (name: string, roleName: string, description: string, p: { actions?: string[]; notActions?: string[]; dataActions?: string[]; notDataActions?: string[] }): RoleDefinition => ({
  name, roleName, description, roleType: 'BuiltInRole', assignableScopes: ['/'],
  permissions: [{ actions: p.actions ?? [], notActions: p.notActions ?? [], dataActions: p.dataActions ?? [], notDataActions: p.notDataActions ?? [] }],
  createdOn: null, updatedOn: null, createdBy: null, updatedBy: null,
});

const KV_CONTROL_READ = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Insights/alertRules/*',
  'Microsoft.Resources/deployments/*',
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Support/*',
  'Microsoft.KeyVault/checkNameAvailability/read',
  'Microsoft.KeyVault/deletedVaults/read',
  'Microsoft.KeyVault/locations/*/read',
  'Microsoft.KeyVault/vaults/*/read',
  'Microsoft.KeyVault/operations/read',
];

export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  // ---- general / privileged -----------------------------------------------------------------
  builtIn('8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'Owner', 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.', { actions: ['*'] }),
  builtIn('b24988ac-6180-42a0-ab88-20f7382dd24c', 'Contributor', 'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.', {
    actions: ['*'],
    notActions: [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write',
      'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action',
      'Microsoft.Purview/consents/write',
      'Microsoft.Purview/consents/delete',
      'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
      'Microsoft.Subscription/cancel/action',
      'Microsoft.Subscription/enable/action',
    ],
  }),
  builtIn('acdd72a7-3385-48ef-bd42-f606fba81ae7', 'Reader', 'View all resources, but does not allow you to make any changes.', { actions: ['*/read'] }),
  builtIn('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 'User Access Administrator', 'Lets you manage user access to Azure resources.', {
    actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'],
  }),
  builtIn('f58310d9-a9f6-439a-9e8d-f62e7b41a168', 'Role Based Access Control Administrator', 'Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.', {
    actions: ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete', '*/read', 'Microsoft.Support/*'],
  }),

  // ---- Web PubSub and SignalR -----------------------------------------------------------------
  builtIn('12cf5a90-567b-43ae-8102-96cf46c7d9b4', 'Web PubSub Service Owner', 'Full access to Azure Web PubSub Service REST APIs', {
    dataActions: ['Microsoft.SignalRService/WebPubSub/*'],
  }),
  builtIn('bfb1c7d2-fb1a-466b-b2ba-aee63b92deaf', 'Web PubSub Service Reader', 'Read-only access to Azure Web PubSub Service REST APIs', {
    dataActions: ['Microsoft.SignalRService/WebPubSub/*/read'],
  }),
  builtIn('8cf5e20a-e4b2-4e9d-b3a1-5ceb692c2761', 'SignalR/Web PubSub Contributor', 'Create, Read, Update, and Delete SignalR service resources', {
    actions: [
      'Microsoft.SignalRService/*',
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Support/*',
    ],
  }),
  builtIn('420fcaa2-552c-430f-98ca-3264be4806c7', 'SignalR App Server', 'Lets your app server access SignalR Service with AAD auth options.', {
    dataActions: [
      'Microsoft.SignalRService/SignalR/auth/accessKey/action',
      'Microsoft.SignalRService/SignalR/serverConnection/write',
      'Microsoft.SignalRService/SignalR/clientConnection/write',
    ],
  }),
  builtIn('fd53cd77-2268-407a-8f46-7e7863d0f521', 'SignalR REST API Owner', 'Full access to Azure SignalR Service REST APIs', {
    dataActions: [
      'Microsoft.SignalRService/SignalR/auth/clientToken/action',
      'Microsoft.SignalRService/SignalR/hub/*',
      'Microsoft.SignalRService/SignalR/group/*',
      'Microsoft.SignalRService/SignalR/clientConnection/*',
      'Microsoft.SignalRService/SignalR/user/*',
    ],
  }),
  builtIn('ddde6b66-c0df-4114-a159-3618637b3035', 'SignalR REST API Reader', 'Read-only access to Azure SignalR Service REST APIs', {
    dataActions: [
      'Microsoft.SignalRService/SignalR/group/read',
      'Microsoft.SignalRService/SignalR/clientConnection/read',
      'Microsoft.SignalRService/SignalR/user/read',
    ],
  }),
  builtIn('7e4f1700-ea5a-4f59-8f37-079cfe29dce3', 'SignalR Service Owner', 'Full access to Azure SignalR Service REST APIs', {
    dataActions: ['Microsoft.SignalRService/SignalR/*'],
  }),
  builtIn('04165923-9d83-45d5-8227-78b77b0a687e', 'SignalR AccessKey Reader', 'Read SignalR Service Access Keys', {
    actions: [
      'Microsoft.SignalRService/*/read',
      'Microsoft.SignalRService/SignalR/listkeys/action',
      'Microsoft.Authorization/*/read',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ],
  }),

  // ---- Key Vault -----------------------------------------------------------------------------
  builtIn('00482a5a-887f-4fb3-b363-3b7fe8e74483', 'Key Vault Administrator', "Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key vaults that use the 'Azure role-based access control' permission model.", {
    actions: KV_CONTROL_READ, dataActions: ['Microsoft.KeyVault/vaults/*'],
  }),
  builtIn('21090545-7ca7-4776-b22c-e363652d74d2', 'Key Vault Reader', "Read metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive values such as secret contents or key material. Only works for key vaults that use the 'Azure role-based access control' permission model.", {
    actions: KV_CONTROL_READ, dataActions: ['Microsoft.KeyVault/vaults/*/read', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  }),
  builtIn('b86a8fe4-44ce-4948-aee5-eccb2c155cd7', 'Key Vault Secrets Officer', "Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.", {
    actions: KV_CONTROL_READ, dataActions: ['Microsoft.KeyVault/vaults/secrets/*'],
  }),
  builtIn('4633458b-17de-408a-b874-0445c86b69e6', 'Key Vault Secrets User', "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.", {
    dataActions: ['Microsoft.KeyVault/vaults/secrets/getSecret/action', 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'],
  }),
];

/** Former display names Azure used, still accepted when looking a role up by name. */
export const ROLE_NAME_ALIASES: Readonly<Record<string, string>> = {
  'web pubsub service owner (preview)': '12cf5a90-567b-43ae-8102-96cf46c7d9b4',
  'web pubsub service reader (preview)': 'bfb1c7d2-fb1a-466b-b2ba-aee63b92deaf',
};

export const OWNER_ROLE_ID = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
export const USER_ACCESS_ADMINISTRATOR_ROLE_ID = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9';
