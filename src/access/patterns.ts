import { AE } from './errors.ts';
import { PROVIDER_NAMESPACE } from './scope.ts';

/**
 * Permission strings and their wildcards (entra-compat §5.5): `{Company}.{Provider}/{type}[/…]/{action}`,
 * compared case-insensitively; `*` matches any run of characters including `/`, anywhere and more
 * than once. Implementation as recommended: escape, `*` → `.*`, anchor, ignore case.
 */

export type PermissionKind = 'action' | 'dataAction';

const MAX_PATTERN_LENGTH = 512;
const PATTERN_CHARS = /^[A-Za-z0-9._/*-]+$/;
const LAST_SEGMENTS = new Set(['read', 'write', 'delete', 'action']);

export function compilePattern(pattern: string): RegExp {
  const body = pattern.split('*').map(escapeRegExp).join('.*');
  return new RegExp(`^${body}$`, 'i');
}

/** One regular expression for a whole list (an alternation), or null when the list is empty. */
export function compilePatternList(patterns: readonly string[]): RegExp | null {
  if (patterns.length === 0) return null;
  return new RegExp(`^(?:${patterns.map((p) => p.split('*').map(escapeRegExp).join('.*')).join('|')})$`, 'i');
}

/** The first pattern of the list that matches `operation`, for explanations. */
export function firstMatch(patterns: readonly string[], operation: string): string | undefined {
  return patterns.find((p) => compilePattern(p).test(operation));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The data actions of the providers Lapis serves, from the Azure permissions reference
 * (`permissions/web-and-mobile.md`, Microsoft.SignalRService) and the Key Vault secrets operations.
 * A DataActions pattern under one of these namespaces must match at least one of them.
 */
export const KNOWN_DATA_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'microsoft.signalrservice': [
    'Microsoft.SignalRService/SignalR/auth/clientToken/action',
    'Microsoft.SignalRService/SignalR/auth/accessKey/action',
    'Microsoft.SignalRService/SignalR/auth/accessToken/action',
    'Microsoft.SignalRService/SignalR/clientConnection/send/action',
    'Microsoft.SignalRService/SignalR/clientConnection/read',
    'Microsoft.SignalRService/SignalR/clientConnection/write',
    'Microsoft.SignalRService/SignalR/group/send/action',
    'Microsoft.SignalRService/SignalR/group/read',
    'Microsoft.SignalRService/SignalR/group/write',
    'Microsoft.SignalRService/SignalR/hub/send/action',
    'Microsoft.SignalRService/SignalR/livetrace/read',
    'Microsoft.SignalRService/SignalR/livetrace/write',
    'Microsoft.SignalRService/SignalR/serverConnection/write',
    'Microsoft.SignalRService/SignalR/user/send/action',
    'Microsoft.SignalRService/SignalR/user/read',
    'Microsoft.SignalRService/SignalR/user/write',
    'Microsoft.SignalRService/WebPubSub/auth/accessKey/action',
    'Microsoft.SignalRService/WebPubSub/auth/accessToken/action',
    'Microsoft.SignalRService/WebPubSub/clientConnection/generateToken/action',
    'Microsoft.SignalRService/WebPubSub/clientConnection/send/action',
    'Microsoft.SignalRService/WebPubSub/clientConnection/read',
    'Microsoft.SignalRService/WebPubSub/clientConnection/write',
    'Microsoft.SignalRService/WebPubSub/group/send/action',
    'Microsoft.SignalRService/WebPubSub/group/read',
    'Microsoft.SignalRService/WebPubSub/group/write',
    'Microsoft.SignalRService/WebPubSub/hub/send/action',
    'Microsoft.SignalRService/WebPubSub/livetrace/read',
    'Microsoft.SignalRService/WebPubSub/livetrace/write',
    'Microsoft.SignalRService/WebPubSub/user/send/action',
    'Microsoft.SignalRService/WebPubSub/user/read',
  ],
};

/** Key Vault secrets data actions (the part of Key Vault Lapis serves); other Key Vault families are checked by syntax only. */
export const KEY_VAULT_SECRET_DATA_ACTIONS: readonly string[] = [
  'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  'Microsoft.KeyVault/vaults/secrets/delete',
  'Microsoft.KeyVault/vaults/secrets/backup/action',
  'Microsoft.KeyVault/vaults/secrets/purge/action',
  'Microsoft.KeyVault/vaults/secrets/update/action',
  'Microsoft.KeyVault/vaults/secrets/recover/action',
  'Microsoft.KeyVault/vaults/secrets/restore/action',
];

const ALL_KNOWN_DATA = [...Object.values(KNOWN_DATA_ACTIONS).flat(), ...KEY_VAULT_SECRET_DATA_ACTIONS];
const KNOWN_DATA_LOWER = new Set(ALL_KNOWN_DATA.map((a) => a.toLowerCase()));

/**
 * Validates one pattern of a custom role as Azure would (syntax; and, for the providers Lapis
 * serves, against their data-action catalogue). Throws `InvalidActionOrNotAction` /
 * `InvalidDataActionOrNotDataAction`.
 */
export function validatePattern(pattern: unknown, kind: PermissionKind): string {
  const fail = (why?: string) => (kind === 'action' ? AE.invalidAction(String(pattern)) : AE.invalidDataAction(String(pattern), why));
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) throw fail();
  if (!PATTERN_CHARS.test(pattern)) throw fail();
  if (pattern === '*') {
    if (kind === 'dataAction') throw fail('A bare * is not allowed in DataActions; name a provider, e.g. Microsoft.SignalRService/WebPubSub/*.');
    return pattern;
  }
  const segs = pattern.split('/');
  if (segs.length < 2 || segs.some((s) => s === '')) throw fail();
  if (/\*\*/.test(pattern)) throw fail();
  const provider = segs[0]!;
  if (provider === '*') {
    // `*/read` and the like: every provider. Allowed in Actions (Reader uses it), never in DataActions.
    if (kind === 'dataAction') throw fail('DataActions must name their provider; a leading * is not allowed.');
  } else if (!PROVIDER_NAMESPACE.test(provider)) {
    throw fail(kind === 'dataAction' ? `'${provider}' is not a provider namespace.` : undefined);
  }
  const last = segs[segs.length - 1]!;
  if (!last.includes('*') && !LAST_SEGMENTS.has(last.toLowerCase())) throw fail();
  if (kind === 'dataAction') {
    const ns = provider.toLowerCase();
    const catalog = KNOWN_DATA_ACTIONS[ns] ?? (pattern.toLowerCase().startsWith('microsoft.keyvault/vaults/secrets/') ? KEY_VAULT_SECRET_DATA_ACTIONS : undefined);
    if (catalog) {
      const re = compilePattern(pattern);
      if (!catalog.some((a) => re.test(a))) throw fail();
    }
  } else if (!pattern.includes('*') && KNOWN_DATA_LOWER.has(pattern.toLowerCase())) {
    // A data action placed in Actions: Azure's catalogue has no such control-plane operation.
    throw fail();
  }
  return pattern;
}

const OPERATION = /^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+(?:\/[A-Za-z0-9._-]+)+$/;

/** Validates a concrete operation name being checked (no wildcards). */
export function validateOperation(op: unknown): string {
  if (typeof op !== 'string' || op.length > MAX_PATTERN_LENGTH || !OPERATION.test(op)) throw AE.invalidOperation(String(op));
  return op;
}
