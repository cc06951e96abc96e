import type { Decision } from '../evaluate.ts';
import type { PermissionKind } from '../patterns.ts';
import type { MissingAssignment } from './suggest.ts';

/** Which surface refused. */
export type DenialSurface = 'management' | 'webpubsub' | 'signalr' | 'keyvault' | 'identity';

/** Why a token was refused (a 401): TokenRejected's codes plus the surfaces' own. */
export type TokenFailure = 'missing' | 'malformed' | 'expired' | 'notYetValid' | 'audience' | 'issuer' | 'tenant' | 'signature' | 'unknownKey' | 'disabled' | 'other';

/** What a surface knows when it refuses; the log fills in the decision and the suggestion. */
export interface DenialInput {
  status: 401 | 403;
  /** The error code the caller got (`AuthorizationFailed`, `Forbidden`, `ExpiredAuthenticationToken`…). */
  code: string;
  surface: DenialSurface;
  /** The resource's name on data planes. */
  resource?: string;
  method: string;
  /** Path and query as received; query values are blanked before they are kept. */
  url: string;
  /** The caller's object id: verified on 403, as claimed by the refused token on 401. */
  principalId?: string;
  /** The token's payload (decoded; on 401 unverified). Only allow-listed claims are kept. */
  claims?: Record<string, unknown>;
  /** The operation that was needed (403). */
  kind?: PermissionKind;
  operation?: string;
  /** The scope of the check (403) or of the resource (401); `/` when unknown. */
  scope: string;
  /** 401: what was wrong with the token. */
  failure?: TokenFailure;
  /** The message the caller got (before the link was added). */
  message: string;
}

/** One refused request, as the denial API returns it. */
export interface DenialRecord {
  id: string;
  time: string;
  /** The node that refused and keeps the record (records are per node). */
  node: string;
  status: 401 | 403;
  code: string;
  surface: DenialSurface;
  resource: string | null;
  method: string;
  path: string;
  principalId: string | null;
  /** Whether the claims come from a verified token (403) or are as claimed by a refused one (401). */
  claimsVerified: boolean;
  claims: Record<string, unknown>;
  kind: PermissionKind | null;
  operation: string | null;
  scope: string;
  failure: TokenFailure | null;
  message: string;
  /** 403: the decision trace (scopes walked, assignments considered). */
  decision: Decision | null;
  /** 403: the role that would grant it and where to assign it; null when no role does. */
  missingAssignment: MissingAssignment | null;
}
