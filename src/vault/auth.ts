/**
 * Who may call a vault, and what they may do.
 *
 * Authentication is the bearer challenge `@azure/keyvault-common`'s keyVaultAuthenticationPolicy
 * performs: its first request goes without a token (and without a body) and must get 401 with
 * `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`;
 * it then sends an Entra token for https://vault.azure.net, which Lapis's verifier checks.
 *
 * Authorisation follows the vault's permission model, read on every call: Azure RBAC with Key
 * Vault's DataActions at the secret's scope (`{vault id}/secrets/{name}`), or, with
 * `enableRbacAuthorization: false`, the vault's access policies.
 */
import type { FastifyRequest } from 'fastify';
import { claimedPrincipal, DENIAL_HEADER, tokenFailureOf, unverifiedClaims, type DenialInput } from '../access/index.ts';
import { TokenRejected } from '../identity/index.ts';
import type { VerifiedToken } from '../identity/index.ts';
import { policiesGrant, type SecretPermission, type VaultPermissionModel } from './access-policies.ts';
import { KV, VAULT_RESOURCE, type VaultError } from './errors.ts';
import type { VaultContext } from './context.ts';

/** Key Vault DataActions for secrets (Azure resource provider operations). */
export const SECRET_ACTIONS = {
  getSecret: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  setSecret: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  readMetadata: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  update: 'Microsoft.KeyVault/vaults/secrets/update/action',
  delete: 'Microsoft.KeyVault/vaults/secrets/delete',
  recover: 'Microsoft.KeyVault/vaults/secrets/recover/action',
  purge: 'Microsoft.KeyVault/vaults/secrets/purge/action',
  backup: 'Microsoft.KeyVault/vaults/secrets/backup/action',
  restore: 'Microsoft.KeyVault/vaults/secrets/restore/action',
} as const;

/**
 * Each data-plane operation with what it needs under each model: the RBAC DataAction and the
 * access-policy secrets permission (Key Vault's REST reference: update needs `set`, reading
 * deleted secrets needs `list`).
 */
export const SECRET_OPERATIONS = {
  get: { action: SECRET_ACTIONS.getSecret, permission: 'get' },
  set: { action: SECRET_ACTIONS.setSecret, permission: 'set' },
  update: { action: SECRET_ACTIONS.update, permission: 'set' },
  list: { action: SECRET_ACTIONS.readMetadata, permission: 'list' },
  delete: { action: SECRET_ACTIONS.delete, permission: 'delete' },
  recover: { action: SECRET_ACTIONS.recover, permission: 'recover' },
  purge: { action: SECRET_ACTIONS.purge, permission: 'purge' },
  backup: { action: SECRET_ACTIONS.backup, permission: 'backup' },
  restore: { action: SECRET_ACTIONS.restore, permission: 'restore' },
} as const satisfies Record<string, { action: string; permission: SecretPermission }>;
export type SecretOperation = keyof typeof SECRET_OPERATIONS;

/** api-version values the SDKs send: 7.0–7.6 (and previews), 2025-07-01, 2026-04-01 (keyvault-secrets 4.12 default). */
const API_VERSION = /^(7\.[0-6](-preview(\.\d+)?)?|2016-10-01|2025-07-01|2026-04-01)$/;
const LATEST_API_VERSION = '2025-07-01';
const AUDIENCES = [VAULT_RESOURCE, `${VAULT_RESOURCE}/`];
const RBAC_ONLY: VaultPermissionModel = { enableRbacAuthorization: true, accessPolicies: [] };

export function challenge(ctx: VaultContext): Record<string, string> {
  const authority = ctx.authorityHost.replace(/\/+$/, '');
  return { 'WWW-Authenticate': `Bearer authorization="${authority}/${ctx.tenantId}", resource="${VAULT_RESOURCE}"` };
}

/** The caller's token, verified; then the api-version (checked after the token, as Key Vault does). */
export async function authenticate(ctx: VaultContext, req: FastifyRequest): Promise<VerifiedToken> {
  if (req.protocol !== 'https' && !ctx.allowInsecureHttp) throw KV.httpsRequired();
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) throw KV.unauthorized('AKV10000: Request is missing a Bearer or PoP token.', challenge(ctx));
  let verified: VerifiedToken;
  try {
    verified = await ctx.verifier.verify(m[1]!, { audiences: AUDIENCES, tenantId: ctx.tenantId });
  } catch (err) {
    if (!(err instanceof TokenRejected)) throw err;
    const claims = unverifiedClaims(header as string);
    throw denied(ctx, KV.unauthorized(tokenMessage(err, ctx.tenantId), challenge(ctx)), req,
      { principalId: claimedPrincipal(claims), claims, scope: ctx.resourceId, failure: tokenFailureOf(err) });
  }
  const version = (req.query as Record<string, unknown>)['api-version'];
  if (version === undefined || version === '') throw KV.missingApiVersion();
  if (typeof version !== 'string' || !API_VERSION.test(version)) throw KV.badApiVersion(String(version), LATEST_API_VERSION);
  return verified;
}

/** Throws Key Vault's 403 unless the vault's permission model allows the operation. */
export function authorize(ctx: VaultContext, who: VerifiedToken, op: SecretOperation, scope: string, req?: { method: string; url: string }): void {
  const need = SECRET_OPERATIONS[op];
  const model = ctx.permissionModel?.() ?? RBAC_ONLY;
  const p = who.payload;
  const appId = p.appid ?? p.azp;
  const caller = `${appId ? `appid=${String(appId)};` : ''}oid=${who.principalId};iss=${String(p.iss)}`;
  if (!model.enableRbacAuthorization) {
    if (policiesGrant(model.accessPolicies, { tenantId: who.tenantId, objectId: who.principalId, appId }, need.permission)) return;
    throw denied(ctx, KV.forbiddenByPolicy(caller, `secrets ${need.permission}`, `${ctx.name};location=${ctx.location ?? 'local'}`), req,
      { principalId: who.principalId, claims: who.payload, scope });
  }
  const decision = ctx.authorize(who.principalId, need.action, scope);
  if (decision.allowed) return;
  throw denied(ctx, KV.forbiddenByRbac([
    'Caller is not authorized to perform action on resource.',
    'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
    `Caller: ${caller}`,
    `Action: '${need.action}'`,
    `Resource: '${scope.toLowerCase()}'`,
    'Assignment: (not found)',
    `DecisionReason: '${(decision.reason ?? 'DeniedWithNoValidRBAC').replace(/'/g, '')}'`,
    `Vault: ${ctx.name};location=${ctx.location ?? 'local'}`,
    '',
  ]), req, { principalId: who.principalId, claims: who.payload, scope, kind: 'dataAction', operation: need.action });
}

/**
 * Records a refusal when a denial log is wired: the link goes at the end of the message and the
 * id in `x-ms-lapis-denial-id`. (The SDK's first, token-less request is the challenge: not recorded.)
 */
function denied(ctx: VaultContext, e: VaultError, req: { method: string; url: string } | undefined, more: Omit<DenialInput, 'status' | 'code' | 'surface' | 'method' | 'url' | 'message'>): VaultError {
  if (!ctx.denials) return e;
  const receipt = ctx.denials.record({
    status: e.status as 401 | 403, code: e.inner ?? e.code, surface: 'keyvault', resource: ctx.name,
    method: req?.method ?? 'GET', url: req?.url ?? '/', message: e.message, ...more,
  });
  e.message = e.message.endsWith('\n') ? `${e.message}${receipt.sentence}\n` : `${e.message} ${receipt.sentence}`;
  e.headers[DENIAL_HEADER] = receipt.id;
  return e;
}

function tokenMessage(err: TokenRejected, tenantId: string): string {
  switch (err.code) {
    case 'missing': return 'AKV10000: Request is missing a Bearer or PoP token.';
    case 'audience': return `AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}.`;
    case 'issuer': case 'tenant': return `AKV10032: Invalid issuer. The token must be issued by tenant ${tenantId}.`;
    case 'expired': return 'The access token has expired.';
    case 'not_yet_valid': return 'The access token is not valid yet.';
    default: return `The access token is invalid: ${err.message}`;
  }
}
