/** What a vault service is given by whoever composes it (server/node.ts, tests). */
import type { Logger } from 'pino';
import type { Sealer, Store } from '../store/index.ts';
import type { VerifiedToken } from '../identity/index.ts';
import type { VaultPermissionModel } from './access-policies.ts';
import type { DenialInput, DenialReceipt } from '../access/index.ts';

/** The RBAC decision for one DataAction at one scope (used when the vault uses Azure RBAC). */
export type AuthorizeFn = (principalId: string, dataAction: string, scope: string) => { allowed: boolean; reason?: string | undefined };

export interface VaultContext {
  /** Vault name, e.g. "kv-1". */
  name: string;
  /** ARM id: /subscriptions/…/resourceGroups/…/providers/Microsoft.KeyVault/vaults/kv-1 */
  resourceId: string;
  /** The vault's tenant: tokens must come from it, and the challenge names it. */
  tenantId: string;
  location?: string;
  /** The vault's public origin (`https://localhost:9005`): secret ids in answers are built on it. */
  vaultUri(): string;
  store: Store;
  /**
   * Seals secret values at rest under the node's master key (server/node.ts always gives one).
   * Without it values are stored as given: only for tests that compose a vault by hand.
   */
  sealer?: Sealer | undefined;
  verifier: { verify(token: string, opts: { audiences: string[]; tenantId?: string }): Promise<VerifiedToken> };
  /** Origin of the Entra endpoints (`https://localhost:8443`), named in the challenge. */
  authorityHost: string;
  authorize: AuthorizeFn;
  /** Where 401/403 answers are recorded ("why was this denied"); without it they are not. */
  denials?: { record(input: DenialInput): DenialReceipt };
  /**
   * The vault's permission model (RBAC or access policies), read on every call so that a change
   * made through ARM applies to the next one. Without it the vault uses Azure RBAC.
   */
  permissionModel?: () => VaultPermissionModel | undefined;
  log: Logger;
  /** Days a deleted secret stays recoverable (default 90, as Azure). */
  softDeleteRetentionInDays?: number;
  /** How often expired soft-deleted secrets are swept (default 60 s); each request checks at most this often. */
  purgeIntervalMs?: number;
  /**
   * Origins whose scripts may call the vault from a browser (the Lapis portal's); read on every
   * request. Without it no cross-origin call is allowed.
   */
  corsOrigins?: () => readonly string[];
  /** Answer over plain HTTP too (tests only; the SDK sends bearer tokens, so HTTPS is the default). */
  allowInsecureHttp?: boolean;
}
