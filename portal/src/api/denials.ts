import type { Session } from '../auth/session.ts';
import type { AccessDecision, OperationKind } from './explain.ts';
import { ARM_VERSION, arm } from './http.ts';

/** The role that would have granted a refused operation and where to assign it. */
export interface MissingAssignment { roleDefinitionId: string; roleName: string; roleType: string; scope: string }

/** One refused request, as `GET /providers/Microsoft.Lapis/denials/{id}` returns it (docs/rbac.md "Why was this denied"). */
export interface DenialRecord {
  id: string;
  time: string;
  node: string;
  status: 401 | 403;
  code: string;
  surface: string;
  resource: string | null;
  method: string;
  path: string;
  principalId: string | null;
  claimsVerified: boolean;
  claims: Record<string, unknown>;
  kind: OperationKind | null;
  operation: string | null;
  scope: string;
  failure: string | null;
  message: string;
  decision: AccessDecision | null;
  missingAssignment: MissingAssignment | null;
}

const V = ARM_VERSION.authorization;

export const getDenial = (s: Session, id: string) => arm<DenialRecord>(s, 'GET', `/providers/Microsoft.Lapis/denials/${encodeURIComponent(id)}`, V);
export const listDenials = (s: Session, scope: string) =>
  arm<{ value: DenialRecord[] }>(s, 'GET', `/providers/Microsoft.Lapis/denials?scope=${encodeURIComponent(scope)}`, V).then((r) => r.value);

/** The denial id in a message Lapis answered ("… See https://…/portal/#/denied/{id} …"). */
export function denialIdIn(message: string): string | undefined {
  return /#\/denied\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(message)?.[1];
}

/** What each token failure means, in words. */
export const FAILURE_TEXT: Record<string, string> = {
  missing: 'No token was sent (no Authorization header).',
  malformed: 'The Authorization header or the token is malformed (not "Bearer <JWT>").',
  expired: 'The token has expired: get a new one (the SDK credentials do this themselves).',
  notYetValid: "The token is not valid yet (its 'nbf' is in the future): check the clocks.",
  audience: "The token was issued for another audience ('aud'): ask for a token for this service's scope.",
  issuer: "The token comes from another issuer ('iss'): use this Lapis's authority host and tenant.",
  tenant: 'The token comes from another tenant than the resource.',
  signature: 'The token signature does not verify with the tenant\'s signing keys.',
  unknownKey: "The token was signed with a key ('kid') the tenant does not publish.",
  disabled: 'This kind of credential is disabled for the resource.',
  other: 'The token was refused (see the message).',
};
